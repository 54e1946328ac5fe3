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
public final class AuditReadlogSocket: @unchecked Sendable {
    public let descriptor: FileDescriptor
    private var buffer: [CChar]
    private var closed = false

    /// Joins the group with a receive buffer of at least `receiveBufferBytes` (SO_RCVBUFFORCE).
    public init(receiveBufferBytes: Int = 8 << 20) throws(SystemError) {
        descriptor = FileDescriptor(rawValue: try shimCall("audit_open_readlog") {
            rw_audit_open_readlog(CInt(clamping: receiveBufferBytes), 1)
        })
        buffer = [CChar](repeating: 0, count: 9_000)
    }

    deinit { close() }

    public func close() {
        guard !closed else { return }
        closed = true
        try? descriptor.close()
    }

    /// Waits up to `timeoutMilliseconds` for data. Returns true when a receive will not block.
    public func waitReadable(timeoutMilliseconds: Int32) -> Bool {
        var p = pollfd(fd: descriptor.rawValue, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, timeoutMilliseconds) > 0
    }

    /// The next record, `.empty` when none is queued, `.overrun` after the kernel dropped some.
    /// A datagram without a record comes back as a record with empty text.
    public func receive() throws(SystemError) -> AuditReceiveResult {
        var type: UInt16 = 0
        let fd = descriptor.rawValue
        let count = buffer.count
        let rc = buffer.withUnsafeMutableBufferPointer { rw_audit_recv(fd, &type, $0.baseAddress, count) }
        if rc == -ENOBUFS { return .overrun }
        guard let length = try shimCallNonBlocking("audit_recv", { rc }) else { return .empty }
        let text = buffer.withUnsafeBufferPointer { raw in
            raw.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
                String(decoding: UnsafeBufferPointer(start: $0, count: Int(length)), as: UTF8.self)
            }
        }
        return .record(AuditRawRecord(type: type, text: text))
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
