// SPDX-License-Identifier: Apache-2.0
// The one error type for failed system calls made through the C shim: which operation failed and
// the errno it failed with. Core never sees it; Live maps it to domain errors or counters.

import SystemPackage

/// A system call (or shim function) failed.
///
/// Prints like `fanotify_mark: Operation not permitted (errno 1)`.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The C function (or syscall) that failed, e.g. `rw_procconn_open`.
    public var operation: String
    /// The errno it returned.
    public var errno: Errno

    public init(operation: String, errno: Errno) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String { "\(operation): \(errno.description) (errno \(errno.rawValue))" }

    /// True for ESRCH and ENOENT: the process (or /proc entry) went away. Normal for short-lived
    /// processes, counted rather than reported.
    public var isProcessGone: Bool { errno == .noSuchProcess || errno == .noSuchFileOrDirectory }
}
