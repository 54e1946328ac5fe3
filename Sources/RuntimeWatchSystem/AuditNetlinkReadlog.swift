// SPDX-License-Identifier: Apache-2.0
// The receive side of netlink audit: the read-only multicast group AUDIT_NLGRP_READLOG, which
// every CAP_AUDIT_READ process may join alongside auditd (auditd keeps its unicast channel).

internal import CShims
import SystemPackage
#if canImport(Glibc)
internal import Glibc
#endif

/// One audit record as the kernel sent it: netlink type (1300 SYSCALL, 1306 SOCKADDR, 1320 EOE, …)
/// and the text `audit(<sec>.<ms>:<serial>): key=value …`.
public struct AuditRawRecord: Sendable, Hashable {
    public var type: UInt16
    public var text: String
    public init(type: UInt16, text: String) { self.type = type; self.text = text }
}

/// What one non-blocking receive produced.
public enum AuditReceiveResult: Sendable, Hashable {
    case record(AuditRawRecord)
    /// Nothing queued (EAGAIN).
    case empty
    /// The kernel dropped records for this socket because its receive buffer was full (ENOBUFS).
    case overrun
}

/// A non-blocking socket on AUDIT_NLGRP_READLOG. Not thread-safe: one reader at a time. It is
/// `@unchecked Sendable` so an owner can hand it to a reader thread and close it after that
/// thread has finished; it must never be used from two threads at once.
///
/// Records are received in batches: one `recvmmsg(2)` takes every datagram queued (up to
/// `batchSlots`), and `receive()` hands them out one by one. A connect is four or five records
/// (SYSCALL, SOCKADDR, CWD, PROCTITLE, EOE) that arrive together; one `recv(2)` each was 10% of a
/// connect storm's samples (BENCHMARKS section 20).
public final class AuditReadlogSocket: @unchecked Sendable {
    public let descriptor: FileDescriptor
    /// Datagrams taken by one receive, at most.
    public static let batchSlots = 16
    /// Room for one datagram: an audit record is at most 8,970 bytes of text (MAX_AUDIT_MESSAGE_LENGTH)
    /// behind a 16-byte netlink header. A multiple of 8, so every slot is aligned for the header.
    static let slotBytes = 10_000
    private let slots: UnsafeMutableRawBufferPointer
    private let datagrams: UnsafeMutablePointer<rw_audit_datagram>
    /// The datagrams of the last batch, and the next to hand out.
    private var taken = 0
    private var next = 0
    private var closed = false

    /// Joins the group with a receive buffer of at least `receiveBufferBytes` (SO_RCVBUFFORCE).
    public init(receiveBufferBytes: Int = 8 << 20) throws(SystemError) {
        descriptor = FileDescriptor(rawValue: try shimCall("audit_open_readlog") {
            rw_audit_open_readlog(CInt(clamping: receiveBufferBytes), 1)
        })
        slots = .allocate(byteCount: Self.batchSlots * Self.slotBytes, alignment: 8)
        datagrams = .allocate(capacity: Self.batchSlots)
    }

    deinit {
        close()
        slots.deallocate()
        datagrams.deallocate()
    }

    public func close() {
        guard !closed else { return }
        closed = true
        try? descriptor.close()
    }

    /// Waits up to `timeoutNanoseconds` for data. Returns true when a receive will not block:
    /// at once while records of the last batch are still to be handed out.
    public func waitReadable(timeoutNanoseconds: UInt64) -> Bool {
        if next < taken { return true }
        // A failed wait reads as readable: the receive that follows says what failed.
        return (try? RuntimeWatchSystem.waitReadable(descriptor.rawValue, timeoutNanoseconds: timeoutNanoseconds))?.isEmpty != true
    }

    /// The next record, `.empty` when none is queued, `.overrun` after the kernel dropped some.
    /// A datagram without a record comes back as a record with empty text. Throws for a datagram
    /// shorter than a netlink header or sent by a user-space process (only the kernel speaks for
    /// audit; such a datagram is skipped, the next `receive()` goes on after it).
    public func receive() throws(SystemError) -> AuditReceiveResult {
        if next == taken {
            taken = 0
            next = 0
            let fd = descriptor.rawValue
            let rc = rw_audit_recv_batch(fd, slots.baseAddress!.assumingMemoryBound(to: CChar.self), Self.slotBytes,
                                         CInt(Self.batchSlots), datagrams)
            if rc == -ENOBUFS { return .overrun }
            guard let count = try shimCallNonBlocking("audit_recv", { rc }), count > 0 else { return .empty }
            taken = Int(min(count, CInt(Self.batchSlots)))
        }
        let datagram = datagrams[next]
        next += 1
        switch datagram.status {
        case 0: break
        case -EPERM:
            throw SystemError(operation: "audit_recv: datagram from user-space port \(datagram.sender), not the kernel; ignored",
                              errno: .notPermitted)
        default:
            throw SystemError(operation: "audit_recv: datagram shorter than a netlink header; ignored", errno: .badMessage)
        }
        let start = (next - 1) * Self.slotBytes + Int(datagram.offset)
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: slots[start..<start + Int(datagram.length)]), as: UTF8.self)
        return .record(AuditRawRecord(type: datagram.type, text: text))
    }
}

/// Asks a process's socket descriptor its type (SOCK_STREAM = 1, SOCK_DGRAM = 2) through
/// `pidfd_getfd(2)` + `getsockopt(SO_TYPE)`. Keeps the pidfd of the process asked last: a service
/// connects many times, and opening a pidfd per connect was half the probe's cost (BENCHMARKS
/// section 15). A pidfd names one process, never its pid's next owner: when the held one's process
/// has exited (ESRCH), the pid is opened afresh once. Used by one thread; holds one descriptor.
public final class SocketTypeProbe {
    private var pid: Int32 = 0
    private var pidfd: Int32 = -1

    public init() {}

    deinit { forget() }

    /// The type of descriptor `fd` in process `pid`, or nil when the process or descriptor is gone
    /// or pidfd_getfd(2) is unavailable.
    public func type(pid: Int32, descriptor fd: Int32) -> Int32? {
        let held = pidfd >= 0 && self.pid == pid
        if !held {
            forget()
            let opened = rw_pidfd_open(pid)
            guard opened >= 0 else { return nil }
            self.pid = pid
            pidfd = opened
        }
        let rc = rw_socket_type_via(pidfd, fd)
        if rc >= 0 { return rc }
        guard rc == -ESRCH else { return nil }
        forget()
        // The held pidfd's process has exited; the pid may now name a newer one.
        return held ? type(pid: pid, descriptor: fd) : nil
    }

    private func forget() {
        if pidfd >= 0 { close(pidfd) }
        pidfd = -1
    }
}
