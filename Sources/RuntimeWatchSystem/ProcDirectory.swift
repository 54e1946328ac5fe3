// SPDX-License-Identifier: Apache-2.0
// Reads files of one /proc/<pid> directory through a directory descriptor, so all reads describe
// the same process even if the pid is reused (they fail with ESRCH/ENOENT once it is gone).

internal import CShims
internal import Glibc
import SystemPackage

/// The bytes read from a procfs file, bounded by the caller's limit.
public struct ProcFileContents: Sendable, Hashable {
    public var bytes: [UInt8]
    /// True when the file had more than `limit` bytes; `bytes` holds the first `limit`.
    public var truncated: Bool
}

/// An open `/proc/<pid>` (or any directory with the same layout, e.g. a test fixture).
/// Not thread-safe; close it with `close()`.
public struct ProcDirectory: Sendable {
    public let descriptor: FileDescriptor
    /// The path it was opened with, for messages.
    public let path: String
    /// Files read through this directory that stay open between reads (a directory that is kept
    /// open, `keepingFilesOpen`); nil: every read opens and closes its file.
    public let openFiles: ProcOpenFiles?

    init(descriptor: FileDescriptor, path: String, openFiles: ProcOpenFiles? = nil) {
        self.descriptor = descriptor
        self.path = path
        self.openFiles = openFiles
    }

    /// The same directory, whose per-process files (cmdline, stat, status, cgroup, syscall) stay
    /// open after their first read and are read again with one pread(2) each. For a directory kept
    /// open and read many times; `close()` closes them too.
    public func keepingFilesOpen() -> ProcDirectory {
        ProcDirectory(descriptor: descriptor, path: path, openFiles: openFiles ?? ProcOpenFiles())
    }

    /// Opens a process directory.
    /// - Throws: `SystemError`; `isProcessGone` is true when the process does not exist.
    ///
    /// The corresponding C function is `rw_proc_open`.
    public static func open(_ path: String) throws(SystemError) -> ProcDirectory {
        // withCString: a short path ("/proc/1234") lends its bytes on the stack; passing the String
        // itself to C copied it into a new array per call (a malloc per exec read).
        let fd = try shimCall("rw_proc_open") { path.withCString { rw_proc_open($0) } }
        return ProcDirectory(descriptor: FileDescriptor(rawValue: fd), path: path)
    }

    /// Reads the file `name` (relative, e.g. `"cmdline"`, `"net/tcp"`), at most `limit` bytes.
    /// - Returns: the contents, `truncated` when the file is longer than `limit`.
    /// - Throws: `SystemError`; `isProcessGone` when the process exited.
    ///
    /// The corresponding C function is `rw_proc_read`.
    public func read(_ name: String, limit: Int) throws(SystemError) -> ProcFileContents {
        let fd = descriptor.rawValue
        // One extra byte tells "exactly limit" from "more than limit". The buffer is left
        // uninitialised: zero-filling a 64 KiB cmdline buffer per exec is time the race cannot spare.
        var rc = 0
        var kept: Int32?
        if let openFiles, ProcOpenFiles.keeps(name) { kept = try openFiles.descriptor(name, under: fd) }
        let bytes = [UInt8](unsafeUninitializedCapacity: limit + 1) { buffer, count in
            rc = kept.map { rw_proc_pread_start($0, buffer.baseAddress, buffer.count) } ?? name.withCString { rw_proc_read(fd, $0, buffer.baseAddress, buffer.count) }
            count = min(max(rc, 0), limit)
        }
        if rc < 0 {
            // rw_proc_read already retried EINTR; anything negative is final.
            throw SystemError(operation: "rw_proc_read", errno: Errno(rawValue: Int32(truncatingIfNeeded: -rc)))
        }
        return ProcFileContents(bytes: bytes, truncated: rc > limit)
    }

    /// Reads `count` bytes at `offset` of the file `name` (e.g. `"mem"`, where the offset is an
    /// address in the process's memory).
    /// - Returns: the bytes, or nil on a short read (the range is not all mapped).
    /// - Throws: `SystemError`; `isProcessGone` when the process exited, EIO for an unmapped address.
    ///
    /// The corresponding C function is `rw_proc_pread`.
    public func read(_ name: String, offset: UInt64, count: Int) throws(SystemError) -> [UInt8]? {
        let fd = descriptor.rawValue
        var rc = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: max(1, count)) { buffer, initialized in
            rc = name.withCString { rw_proc_pread(fd, $0, offset, buffer.baseAddress, count) }
            initialized = min(max(rc, 0), count)
        }
        if rc < 0 {
            throw SystemError(operation: "rw_proc_pread", errno: Errno(rawValue: Int32(truncatingIfNeeded: -rc)))
        }
        return rc == count ? bytes : nil
    }

    /// The names in the subdirectory `name` (e.g. `"task"`), without `.` and `..`, at most `limit`.
    /// - Throws: `SystemError`; `isProcessGone` when the process exited.
    ///
    /// Through `openat(2)` on this directory's descriptor and `fdopendir(3)`/`readdir(3)`.
    public func entries(_ name: String, limit: Int) throws(SystemError) -> [String] {
        let fd = openat(descriptor.rawValue, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError(operation: "openat(\(name))", errno: Errno(rawValue: errno)) }
        guard let dir = fdopendir(fd) else {
            let failure = Errno(rawValue: errno)
            Glibc.close(fd)
            throw SystemError(operation: "fdopendir(\(name))", errno: failure)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while names.count < limit, let entry = readdir(dir) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if entryName != ".", entryName != ".." { names.append(entryName) }
        }
        return names
    }

    /// Reads the symlink `name` (e.g. `"exe"`, `"fd/1"`), at most `limit` bytes of target.
    /// - Returns: the target (bytes decoded as UTF-8, invalid sequences replaced).
    /// - Throws: `SystemError`; `isProcessGone` when the process or link does not exist.
    ///
    /// The corresponding C function is `rw_proc_readlink` (`readlinkat(2)`).
    public func readLink(_ name: String, limit: Int = 4096) throws(SystemError) -> String {
        let fd = descriptor.rawValue
        // A temporary buffer, not a zero-filled Array: capture reads 5 links per exec.
        let result = withUnsafeTemporaryAllocation(of: CChar.self, capacity: max(1, limit)) { buf in
            Result { () throws(SystemError) -> String in
                let n = try shimCall("rw_proc_readlink") { name.withCString { rw_proc_readlink(fd, $0, buf.baseAddress!, buf.count) } }
                return String(decoding: UnsafeRawBufferPointer(start: buf.baseAddress, count: Int(n)), as: UTF8.self)
            }
        }
        return try result.get()
    }

    /// The inode of the FIFO that the link `name` (e.g. `"fd/0"`) points at, or nil when it is not a
    /// FIFO or cannot be read. Named pipes appear as plain paths in /proc/<pid>/fd; their inode is what
    /// ties a `mkfifo` pipeline's readers to its writers.
    ///
    /// The corresponding C function is `rw_proc_fifo_inode` (`fstatat(2)`).
    public func fifoInode(_ name: String) -> UInt64? {
        var inode: UInt64 = 0
        return name.withCString { rw_proc_fifo_inode(descriptor.rawValue, $0, &inode) } == 1 ? inode : nil
    }

    /// This process's executable as a file: inode, status-change time and mode; nil when the process
    /// is gone or has no executable (a kernel thread).
    ///
    /// The corresponding C function is `rw_proc_exe_identity` (`fstatat(2)` through the exe link).
    public func executableIdentity() -> ExecutableIdentity? {
        var raw = rw_exe_identity()
        guard rw_proc_exe_identity(descriptor.rawValue, &raw) == 0 else { return nil }
        return ExecutableIdentity(device: raw.dev, inode: raw.ino, changeSeconds: raw.ctime_sec,
                                  changeNanoseconds: raw.ctime_nsec, mode: raw.mode)
    }

    /// True when this process's executable carries file capabilities (`security.capability`).
    /// A whole path walk (`/proc/<pid>/exe`): callers keep the answer per `ExecutableIdentity`.
    ///
    /// The corresponding C function is `rw_path_has_file_capabilities` (`getxattr(2)`).
    public func executableHasFileCapabilities() -> Bool {
        rw_path_has_file_capabilities(path + "/exe") == 1
    }

    /// Closes the directory.
    ///
    /// The corresponding C function is `rw_proc_close`.
    public func close() {
        openFiles?.closeAll()
        _ = rw_proc_close(descriptor.rawValue)
    }
}

/// An executable file in one state of its credential-changing bits: device and inode, and the
/// status-change time, which setting or removing file capabilities (or chmod) moves.
public struct ExecutableIdentity: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64
    public var changeSeconds: Int64
    public var changeNanoseconds: Int64
    public var mode: UInt32

    public init(device: UInt64, inode: UInt64, changeSeconds: Int64, changeNanoseconds: Int64, mode: UInt32) {
        self.device = device
        self.inode = inode
        self.changeSeconds = changeSeconds
        self.changeNanoseconds = changeNanoseconds
        self.mode = mode
    }

    /// Set-user-ID or set-group-ID: an exec of it changes the credentials inherited at fork.
    public var isSetID: Bool { mode & UInt32(S_ISUID | S_ISGID) != 0 }
}
