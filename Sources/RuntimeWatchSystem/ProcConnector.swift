// SPDX-License-Identifier: Apache-2.0
// Typed handle over the netlink process connector: subscribe, receive decoded events, close.
// Receive-buffer overflow (ENOBUFS) is a result, not an error: the caller counts it and
// resynchronises; the socket keeps working.

internal import CShims
import SystemPackage

/// What one `ProcConnector.receive()` produced.
public enum ProcConnectorReceipt: Sendable, Hashable {
    /// One datagram's events (possibly none, e.g. from a foreign sender), with any decoding fault.
    case batch(ProcMessageBatch)
    /// The kernel dropped events because the receive buffer was full (ENOBUFS).
    case overflow
    /// Nothing arrived within the receive timeout.
    case timeout
}

/// Which of the kernel's process events a connector socket is given. The kernel applies the choice
/// (a socket filter) before queueing, so a filtered-out event never wakes the reader. `execOnly`
/// and `allButExec` split the stream exactly, with the kernel's sequence numbers intact.
public enum ProcEventSelection: Sendable, Hashable {
    case all
    case execOnly
    case allButExec

    var shimValue: Int32 {
        switch self {
        case .all: return RW_PROCCONN_ALL
        case .execOnly: return RW_PROCCONN_EXEC_ONLY
        case .allButExec: return RW_PROCCONN_ALL_BUT_EXEC
        }
    }
}

/// A subscription to the kernel's process events (fork, exec, exit, uid, gid, sid, comm, ptrace,
/// coredump). Needs CAP_NET_ADMIN. Close it with `close()`.
public struct ProcConnector: Sendable {
    /// The netlink socket.
    public let descriptor: FileDescriptor

    /// Most events one datagram can hold: 8 KiB / 56 bytes (smallest message) rounded up.
    public static let eventsPerDatagram = 160

    /// Opens the connector and subscribes.
    ///
    /// - Parameters:
    ///   - receiveBuffer: socket receive buffer in bytes (SO_RCVBUFFORCE, else SO_RCVBUF); bursts of
    ///     events wait here while capture reads /proc.
    ///   - receiveTimeout: `receive()` returns `.timeout` after this long without a datagram, so the
    ///     receiving thread can notice a stop request. Zero blocks forever.
    /// - Returns: the subscribed connector.
    /// - Throws: `SystemError` (EPERM without CAP_NET_ADMIN, EPROTONOSUPPORT without CONFIG_PROC_EVENTS).
    ///
    /// The corresponding C function is `rw_procconn_open`.
    ///   - selection: which events this socket is given (filtered in the kernel, see `ProcEventSelection`).
    public static func open(receiveBuffer: Int = 8 << 20, receiveTimeout: Duration = .milliseconds(200),
                            selection: ProcEventSelection = .all) throws(SystemError) -> ProcConnector {
        let (seconds, attoseconds) = receiveTimeout.components
        let millis = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        let fd = try shimCall("rw_procconn_open_filtered") {
            rw_procconn_open_filtered(Int32(clamping: receiveBuffer), millis, selection.shimValue)
        }
        return ProcConnector(descriptor: FileDescriptor(rawValue: fd))
    }

    /// The receive buffer the kernel granted, in bytes (it doubles the request for bookkeeping).
    ///
    /// The corresponding C function is `rw_procconn_rcvbuf` (`getsockopt(SO_RCVBUF)`).
    public func grantedReceiveBuffer() throws(SystemError) -> Int {
        Int(try shimCall("rw_procconn_rcvbuf") { rw_procconn_rcvbuf(descriptor.rawValue) })
    }

    /// Changes how long `receive()` waits before `.timeout` (zero: forever).
    ///
    /// The corresponding C function is `rw_procconn_set_timeout_us` (`setsockopt(SO_RCVTIMEO)`).
    public func setReceiveTimeout(_ timeout: Duration) throws(SystemError) {
        let (seconds, attoseconds) = timeout.components
        let micros = Int(clamping: seconds) &* 1_000_000 &+ Int(attoseconds / 1_000_000_000_000)
        _ = try shimCall("rw_procconn_set_timeout_us") { rw_procconn_set_timeout_us(descriptor.rawValue, max(0, micros)) }
    }

    /// Receives one datagram and decodes it. Blocks up to the receive timeout, or not at all when
    /// `wait` is false (to drain what is already queued). Retries EINTR.
    ///
    /// - Returns: `.batch` with the decoded events (and the fault if a message was malformed —
    ///   malformed input is reported, never thrown), `.overflow` on ENOBUFS, `.timeout` when
    ///   nothing arrived (EAGAIN).
    /// - Throws: `SystemError` for anything else (the socket is unusable).
    ///
    /// The corresponding C function is `rw_procconn_recv`.
    public func receive(wait: Bool = true) throws(SystemError) -> ProcConnectorReceipt {
        let fd = descriptor.rawValue
        return try withUnsafeTemporaryAllocation(of: rw_proc_event.self, capacity: Self.eventsPerDatagram) { buffer throws(SystemError) -> ProcConnectorReceipt in
            while true {
                var fault = rw_procconn_fault()
                let rc = rw_procconn_recv(fd, buffer.baseAddress, Int32(buffer.count), wait ? 0 : 1, &fault)
                if fault.reason == UInt32(RW_PROCCONN_NETLINK_OVERRUN) { return .overflow }
                if fault.reason != UInt32(RW_PROCCONN_OK) {
                    let count = max(0, Int(rc))
                    return .batch(ProcMessageBatch(events: buffer.prefix(count).map(RawProcEvent.init), fault: ProcMessageFault(fault)))
                }
                if rc >= 0 {
                    return .batch(ProcMessageBatch(events: buffer.prefix(Int(rc)).map(RawProcEvent.init)))
                }
                switch Errno(rawValue: -rc) {
                case .interrupted: continue
                case .noBufferSpace: return .overflow
                case .resourceTemporarilyUnavailable: return .timeout
                case let errno:
                    precondition(errno != .badFileDescriptor && errno != .badAddress, "rw_procconn_recv: \(errno)")
                    throw SystemError(operation: "rw_procconn_recv", errno: errno)
                }
            }
        }
    }

    /// Receives every datagram already queued, up to `buffers.datagramSlots`, in one system call
    /// (`recvmmsg`), without waiting, and decodes them all.
    ///
    /// The events are appended to `events`, which the receiving thread keeps between calls (no
    /// array allocated per receive).
    ///
    /// - Returns: `.batch` (its `events` empty: they went to `events`) saying how many datagrams were
    ///   taken (fewer than the slots means the queue was empty), and the first fault if one was
    ///   malformed (it lost only its own rest); `.overflow` on ENOBUFS; `.timeout` when nothing was queued.
    /// - Throws: `SystemError` for anything else (the socket is unusable).
    ///
    /// The corresponding C function is `rw_procconn_recv_batch`.
    public func receiveQueued(into buffers: ProcReceiveBuffers, appendingTo events: inout [RawProcEvent]) throws(SystemError) -> ProcConnectorReceipt {
        while true {
            var fault = rw_procconn_fault()
            var datagrams: Int32 = 0
            let rc = rw_procconn_recv_batch(descriptor.rawValue, buffers.slots.baseAddress, Int32(ProcReceiveBuffers.slotSize),
                                            Int32(ProcReceiveBuffers.datagramSlots), buffers.events.baseAddress,
                                            Int32(buffers.events.count), &datagrams, &fault)
            if rc >= 0 {
                for raw in buffers.events.prefix(Int(rc)) { events.append(RawProcEvent(raw)) }
                let problem = fault.reason == UInt32(RW_PROCCONN_OK) ? nil : ProcMessageFault(fault)
                return .batch(ProcMessageBatch(events: [], fault: problem, datagrams: Int(datagrams)))
            }
            switch Errno(rawValue: -rc) {
            case .interrupted: continue
            case .noBufferSpace: return .overflow
            case .resourceTemporarilyUnavailable: return .timeout
            case let errno:
                precondition(errno != .badFileDescriptor && errno != .badAddress && errno != .invalidArgument, "rw_procconn_recv_batch: \(errno)")
                throw SystemError(operation: "rw_procconn_recv_batch", errno: errno)
            }
        }
    }

    /// Decodes a datagram's bytes exactly as `receive()` does, without a socket (for tests and
    /// for replaying captured datagrams). Never throws: malformed input comes back as `fault`.
    ///
    /// The corresponding C function is `rw_procconn_decode`.
    public static func decode(_ datagram: [UInt8], maxEvents: Int = eventsPerDatagram) -> ProcMessageBatch {
        withUnsafeTemporaryAllocation(of: rw_proc_event.self, capacity: max(1, maxEvents)) { buffer in
            datagram.withUnsafeBytes { raw in
                var fault = rw_procconn_fault()
                let rc = rw_procconn_decode(raw.baseAddress, raw.count, buffer.baseAddress, Int32(maxEvents), &fault)
                let count = max(0, Int(rc))
                let events = buffer.prefix(count).map(RawProcEvent.init)
                return ProcMessageBatch(events: events, fault: fault.reason == UInt32(RW_PROCCONN_OK) ? nil : ProcMessageFault(fault))
            }
        }
    }

    /// Unsubscribes (best effort) and closes the socket.
    ///
    /// The corresponding C function is `rw_procconn_close`.
    public func close() throws(SystemError) {
        _ = try shimCall("rw_procconn_close") { rw_procconn_close(descriptor.rawValue) }
    }
}

extension ProcMessageFault {
    init(_ f: rw_procconn_fault) {
        let reason: Reason
        switch Int32(bitPattern: f.reason) {
        case RW_PROCCONN_NLMSG_TRUNCATED: reason = .netlinkHeaderTruncated
        case RW_PROCCONN_NLMSG_BAD_LENGTH: reason = .netlinkLengthInvalid
        case RW_PROCCONN_CNMSG_TRUNCATED: reason = .connectorHeaderTruncated
        case RW_PROCCONN_CNMSG_BAD_LENGTH: reason = .connectorLengthInvalid
        case RW_PROCCONN_EVENT_TRUNCATED: reason = .eventTruncated
        case RW_PROCCONN_NETLINK_ERROR: reason = .netlinkError
        case RW_PROCCONN_NETLINK_OVERRUN: reason = .netlinkOverrun
        case RW_PROCCONN_FOREIGN_SENDER: reason = .foreignSender
        case RW_PROCCONN_OUT_FULL: reason = .tooManyEvents
        default: reason = .unknown(f.reason)
        }
        self.init(reason: reason, offset: Int(f.offset), declaredLength: Int(f.declared),
                  availableLength: Int(f.available), errno: Errno(rawValue: Int32(clamping: -Int64(f.code))), kernelWhat: f.kernel_what)
    }
}

/// The memory `ProcConnector.receiveQueued` receives into: one slot per datagram and the decoded
/// events, allocated once by the receiving thread and reused (no allocation per receive).
public final class ProcReceiveBuffers: @unchecked Sendable {
    // @unchecked: used by one thread at a time (the receive thread that owns it).
    /// Most datagrams one receive takes.
    public static let datagramSlots = 64
    /// Bytes per datagram slot. A proc connector datagram is one event, 76 bytes today; a longer one
    /// would be reported as truncated.
    static let slotSize = 1024
    let slots: UnsafeMutableBufferPointer<UInt8>
    let events: UnsafeMutableBufferPointer<rw_proc_event>

    public init() {
        slots = .allocate(capacity: Self.datagramSlots * Self.slotSize)
        // Enough for every slot filled with the smallest messages (56 bytes each).
        events = .allocate(capacity: Self.datagramSlots * (Self.slotSize / 56 + 1))
    }

    deinit {
        slots.deallocate()
        events.deallocate()
    }
}
