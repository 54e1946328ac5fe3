// SPDX-License-Identifier: Apache-2.0
// TEMPORARY: a private copy of the shared SystemError/shimCall helpers (being written on another
// branch) under distinct names so the audit code builds on its own; replace with the shared ones
// at merge and delete this file.

import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A failed shim call: which operation and the errno it returned.
public struct AuditSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var errno: Errno
    public init(operation: String, errno: Errno) { self.operation = operation; self.errno = errno }
    public var description: String { "\(operation): \(errno) (errno \(errno.rawValue))" }
}

/// Runs a shim call returning >= 0 or -errno; retries EINTR, throws everything else.
@discardableResult
func auditShimCall(_ operation: StaticString, _ body: () -> CInt) throws(AuditSystemError) -> CInt {
    while true {
        let rc = body()
        if rc >= 0 { return rc }
        if rc != -EINTR { throw AuditSystemError(operation: "\(operation)", errno: Errno(rawValue: -rc)) }
    }
}

/// Like `auditShimCall`, but returns nil on EAGAIN ("would block") instead of throwing.
func auditShimCallNonBlocking(_ operation: StaticString, _ body: () -> CInt) throws(AuditSystemError) -> CInt? {
    while true {
        let rc = body()
        if rc >= 0 { return rc }
        if rc == -EAGAIN || rc == -EWOULDBLOCK { return nil }
        if rc != -EINTR { throw AuditSystemError(operation: "\(operation)", errno: Errno(rawValue: -rc)) }
    }
}
