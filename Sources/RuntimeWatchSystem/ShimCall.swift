// SPDX-License-Identifier: Apache-2.0
// The single place where a shim return code (>= 0 or -errno) becomes a Swift value or a thrown
// SystemError. The shim never leaves errno behind, so there is no errno to race with here.

internal import Glibc
import SystemPackage

/// Runs a shim call that returns `>= 0` or `-errno`. Retries EINTR; throws everything else as
/// `SystemError(operation:errno:)`. Returns the non-negative result.
///
/// EBADF and EFAULT mean we passed a bad descriptor or pointer of our own: a bug, so they stop
/// the process instead of being thrown (as NIO's `isUnacceptableErrno`).
@inline(__always)
func shimCall<R: SignedInteger & FixedWidthInteger>(_ operation: StaticString, _ body: () -> R) throws(SystemError) -> R {
    while true {
        let rc = body()
        if rc >= 0 { return rc }
        let code = Int32(truncatingIfNeeded: 0 - rc)
        if code == EINTR { continue }
        precondition(code != EBADF && code != EFAULT, "\(operation) failed with \(Errno(rawValue: code)): programming error")
        throw SystemError(operation: "\(operation)", errno: Errno(rawValue: code))
    }
}

/// Like `shimCall`, for descriptors that may have nothing to deliver: returns `nil` on EAGAIN
/// (would block, or a receive timeout expired) instead of throwing.
@inline(__always)
func shimCallNonBlocking<R: SignedInteger & FixedWidthInteger>(_ operation: StaticString, _ body: () -> R) throws(SystemError) -> R? {
    do {
        return try shimCall(operation, body)
    } catch where error.errno == .resourceTemporarilyUnavailable {
        return nil
    }
}
