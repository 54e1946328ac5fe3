// SPDX-License-Identifier: Apache-2.0
// Typed handle over the kernel audit log's read-only multicast group. It only listens: whether
// records exist depends on audit being enabled with rules, which the monitor never changes.

internal import CShims
import SystemPackage

/// What one `AuditLog.receive()` produced.
public enum AuditReceipt: Sendable, Hashable {
    /// One record: its type (1300 SYSCALL, 1309 EXECVE, …) and text.
    case record(type: UInt16, text: String)
    /// Records were lost (ENOBUFS).
    case overflow
    /// Nothing arrived within the receive timeout.
    case timeout
    /// A truncated or malformed netlink message was skipped.
    case malformed
}

/// A read-only subscription to kernel audit records (AUDIT_NLGRP_READLOG). Needs CAP_AUDIT_READ.
public struct AuditLog: Sendable {
    public let descriptor: FileDescriptor

    /// Subscribes. The corresponding C function is `rw_audit_open_readlog`.
    /// - Throws: `SystemError` (EPERM without CAP_AUDIT_READ, EPROTONOSUPPORT without CONFIG_AUDIT).
    public static func open(receiveBuffer: Int = 8 << 20, receiveTimeout: Duration = .milliseconds(200)) throws(SystemError) -> AuditLog {
        let (seconds, attoseconds) = receiveTimeout.components
        let millis = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        let fd = try shimCall("rw_audit_open_readlog") { rw_audit_open_readlog(Int32(clamping: receiveBuffer), millis) }
        return AuditLog(descriptor: FileDescriptor(rawValue: fd))
    }

    /// Receives one record. Retries EINTR. The corresponding C function is `rw_audit_recv`.
    /// - Returns: the record, or `.overflow` / `.timeout` / `.malformed`.
    /// - Throws: `SystemError` for anything else.
    public func receive() throws(SystemError) -> AuditReceipt {
        var type: UInt16 = 0
        var buffer = [CChar](repeating: 0, count: Int(RW_AUDIT_TEXT_CAPACITY))
        while true {
            let rc = rw_audit_recv(descriptor.rawValue, &type, &buffer, buffer.count)
            if rc >= 0 {
                let text = buffer.prefix(Int(rc)).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
                return .record(type: type, text: text)
            }
            switch Errno(rawValue: -rc) {
            case .interrupted: continue
            case .noBufferSpace: return .overflow
            case .resourceTemporarilyUnavailable: return .timeout
            case .badMessage, .noSpace: return .malformed
            case let errno: throw SystemError(operation: "rw_audit_recv", errno: errno)
            }
        }
    }

    /// Closes the socket.
    public func close() {
        try? descriptor.close()
    }
}
