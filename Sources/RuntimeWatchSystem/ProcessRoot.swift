// SPDX-License-Identifier: Apache-2.0
// Reads a file as a process sees it, inside its own root filesystem (a container's), without letting
// that filesystem's symlinks lead the privileged reader anywhere else on the host.

internal import CShims
import SystemPackage

/// The root directory of one process (`/proc/<pid>/root`), open. Not thread-safe; close it.
public struct ProcessRoot: Sendable {
    private let directory: ProcDirectory

    /// Opens `/proc/<pid>/root`.
    /// - Throws: `SystemError`; `isProcessGone` when the process does not exist.
    public static func open(pid: Int32) throws(SystemError) -> ProcessRoot {
        try open(directory: "/proc/\(pid)/root")
    }

    /// Opens any directory as a root (tests use a scratch directory).
    public static func open(directory path: String) throws(SystemError) -> ProcessRoot {
        ProcessRoot(directory: try ProcDirectory.open(path))
    }

    /// False while the process still shares the reader's own root: a container's first process
    /// (runc's init) runs in the container's cgroup before it pivots into its root filesystem, and
    /// what its root shows then is the host's.
    ///
    /// The corresponding C function is `rw_root_is_own` (`fstat(2)` against `stat("/")`).
    public func isOwnFilesystem() throws(SystemError) -> Bool {
        try shimCall("rw_root_is_own") { rw_root_is_own(directory.descriptor.rawValue) } == 1
    }

    /// Reads the regular file `path` (relative to the root, e.g. `"etc/resolv.conf"`) whole, if it
    /// has at most `limit` bytes. Symlinks resolve inside the root (`RESOLVE_IN_ROOT`, no magic
    /// links), and a FIFO cannot block the read.
    /// - Throws: `SystemError`: ENOENT when missing, EFBIG when larger than `limit`, EINVAL when not
    ///   a regular file.
    ///
    /// The corresponding C function is `rw_root_read` (`openat2(2)`).
    public func readFile(_ path: String, limit: Int) throws(SystemError) -> [UInt8] {
        let fd = directory.descriptor.rawValue
        var rc = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: max(1, limit)) { buffer, count in
            rc = rw_root_read(fd, path, buffer.baseAddress, limit)
            count = min(max(rc, 0), limit)
        }
        if rc < 0 { throw SystemError(operation: "rw_root_read", errno: Errno(rawValue: Int32(truncatingIfNeeded: -rc))) }
        return bytes
    }

    public func close() { directory.close() }
}
