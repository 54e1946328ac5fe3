// SPDX-License-Identifier: Apache-2.0
// The files of one /proc/<pid> directory kept open, for a directory that is itself kept open
// (ProcDirectoryCache in capture): each later read is one pread(2) at offset 0, which makes the
// kernel produce the file afresh, instead of openat + read + close. Only the per-process files that
// the kernel produces in one piece (cmdline, stat, status, cgroup, syscall) are kept; a file
// opened through the directory belongs to the same process, so it fails with ESRCH once that
// process is reaped, as the directory's own reads do.

internal import CShims
import Synchronization

/// Descriptors of files under one open /proc/<pid>, by name. Closed with the directory.
public final class ProcOpenFiles: Sendable {
    private let descriptors = Mutex<[String: Int32]>([:])

    public init() {}

    /// Whether `name` is kept open: a file of the process itself, read whole in one piece.
    static func keeps(_ name: String) -> Bool {
        name == "cmdline" || name == "stat" || name == "status" || name == "cgroup" || name == "syscall"
    }

    /// The open descriptor of `name` under `directory`, opened on first use.
    /// - Throws: `SystemError` from the open (`isProcessGone` when the process is gone).
    func descriptor(_ name: String, under directory: Int32) throws(SystemError) -> Int32 {
        if let fd = descriptors.withLock({ $0[name] }) { return fd }
        let fd = try shimCall("rw_proc_openat") { name.withCString { rw_proc_openat(directory, $0) } }
        // Another thread may have opened it meanwhile: keep one, close the other.
        let kept = descriptors.withLock { open -> Int32 in
            if let existing = open[name] { return existing }
            open[name] = fd
            return fd
        }
        if kept != fd { _ = rw_proc_close(fd) }
        return kept
    }

    /// Closes every descriptor. Only when no read can still use them (the directory is closing).
    func closeAll() {
        let all = descriptors.withLock { open -> [Int32] in
            defer { open = [:] }
            return Array(open.values)
        }
        for fd in all { _ = rw_proc_close(fd) }
    }
}
