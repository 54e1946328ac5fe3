// SPDX-License-Identifier: Apache-2.0
// TEMPORARY private copy of the shared SystemError/shimCall (being written on another branch) so the
// fanotify wrappers build on their own. The integrator replaces `FanotifySystemError` with
// `SystemError` and `fanotifyShimCall*` with `shimCall*`; the shapes are identical on purpose.

internal import Glibc
public import SystemPackage

/// A fanotify-related system call (or shim function) failed.
///
/// Prints like `fanotify_mark: Operation not permitted (errno 1)`.
public struct FanotifySystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The C function (or syscall) that failed, e.g. `rw_fan_mark`.
    public var operation: String
    /// The errno it returned.
    public var errno: Errno

    public init(operation: String, errno: Errno) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String { "\(operation): \(errno.description) (errno \(errno.rawValue))" }

    /// True for ESRCH and ENOENT: the process or file went away. Normal, counted rather than reported.
    public var isGone: Bool { errno == .noSuchProcess || errno == .noSuchFileOrDirectory }
}

/// Runs a shim call that returns `>= 0` or `-errno`. Retries EINTR; throws everything else as
/// `FanotifySystemError(operation:errno:)`. Returns the non-negative result.
///
/// EBADF and EFAULT mean we passed a bad descriptor or pointer of our own: a bug, so they stop the
/// process instead of being thrown (the kernel then releases pending permission events).
@inline(__always)
func fanotifyShimCall<R: SignedInteger & FixedWidthInteger>(_ operation: StaticString, _ body: () -> R) throws(FanotifySystemError) -> R {
    while true {
        let rc = body()
        if rc >= 0 { return rc }
        let code = Int32(truncatingIfNeeded: 0 - rc)
        if code == EINTR { continue }
        precondition(code != EBADF && code != EFAULT, "\(operation) failed with \(Errno(rawValue: code)): programming error")
        throw FanotifySystemError(operation: "\(operation)", errno: Errno(rawValue: code))
    }
}

/// Like `fanotifyShimCall`, for non-blocking descriptors: returns `nil` on EAGAIN instead of throwing.
@inline(__always)
func fanotifyShimCallNonBlocking<R: SignedInteger & FixedWidthInteger>(_ operation: StaticString, _ body: () -> R) throws(FanotifySystemError) -> R? {
    do {
        return try fanotifyShimCall(operation, body)
    } catch where error.errno == .resourceTemporarilyUnavailable {
        return nil
    }
}
