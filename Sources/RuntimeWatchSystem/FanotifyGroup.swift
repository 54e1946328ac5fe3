// SPDX-License-Identifier: Apache-2.0
// A typed handle over one fanotify group: create it, mark files, read events, answer permission
// requests. Closing the group makes the kernel allow every permission request still pending, so a
// listener that dies never leaves an opener blocked.

internal import CShims
internal import Glibc
public import SystemPackage

/// A fanotify group (`fanotify_init(2)`), owned by whoever created it: call `close()` once.
public struct FanotifyGroup: Sendable {
    /// Which events the group may receive. Permission events need `.content` or `.preContent`.
    public enum NotificationClass: Sendable, Hashable {
        /// Notifications only. The corresponding C constant is `FAN_CLASS_NOTIF`.
        case notification
        /// Permission events after the file content is final. The corresponding C constant is `FAN_CLASS_CONTENT`.
        case content
        /// Permission events before the content is final (HSM). The corresponding C constant is `FAN_CLASS_PRE_CONTENT`.
        case preContent

        var rawValue: UInt32 {
            switch self {
            case .notification: RW_FAN_CLASS_NOTIF
            case .content: RW_FAN_CLASS_CONTENT
            case .preContent: RW_FAN_CLASS_PRE_CONTENT
            }
        }
    }

    /// `fanotify_init(2)` flags other than the class.
    public struct Options: OptionSet, Sendable, Hashable {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// The corresponding C constant is `FAN_CLOEXEC`.
        public static let closeOnExec = Options(rawValue: RW_FAN_CLOEXEC)
        /// `read` returns EAGAIN instead of blocking. The corresponding C constant is `FAN_NONBLOCK`.
        public static let nonBlocking = Options(rawValue: RW_FAN_NONBLOCK)
        /// No 16384-event queue limit. The corresponding C constant is `FAN_UNLIMITED_QUEUE`.
        public static let unlimitedQueue = Options(rawValue: RW_FAN_UNLIMITED_QUEUE)
        /// No per-user mark limit. The corresponding C constant is `FAN_UNLIMITED_MARKS`.
        public static let unlimitedMarks = Options(rawValue: RW_FAN_UNLIMITED_MARKS)
        /// Events carry the thread id instead of the process id. The corresponding C constant is `FAN_REPORT_TID`.
        public static let reportThreadID = Options(rawValue: RW_FAN_REPORT_TID)
    }

    /// `fanotify_mark(2)` flags other than the action.
    public struct MarkOptions: OptionSet, Sendable, Hashable {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Mark a symlink itself. The corresponding C constant is `FAN_MARK_DONT_FOLLOW`.
        public static let dontFollow = MarkOptions(rawValue: RW_FAN_MARK_DONT_FOLLOW)
        /// Fail unless the path is a directory. The corresponding C constant is `FAN_MARK_ONLYDIR`.
        public static let onlyDirectory = MarkOptions(rawValue: RW_FAN_MARK_ONLYDIR)
        /// Mark the whole mount. The corresponding C constant is `FAN_MARK_MOUNT`.
        public static let mount = MarkOptions(rawValue: RW_FAN_MARK_MOUNT)
        /// Mark the whole filesystem. The corresponding C constant is `FAN_MARK_FILESYSTEM`.
        public static let filesystem = MarkOptions(rawValue: RW_FAN_MARK_FILESYSTEM)
    }

    /// Most events one `readEvents` call returns (`RW_FAN_READ_MAX`).
    public static let maxEventsPerRead = 64

    /// The group's descriptor. Poll it for readability; do not close it directly.
    public let descriptor: FileDescriptor

    /// Creates a group. The corresponding C function is `fanotify_init(2)` (event files are opened
    /// `O_RDONLY | O_LARGEFILE | O_CLOEXEC`). Throws EPERM without CAP_SYS_ADMIN and EINVAL when the
    /// kernel lacks the class or an option (permission events need CONFIG_FANOTIFY_ACCESS_PERMISSIONS).
    public init(class notificationClass: NotificationClass, options: Options = [.closeOnExec, .nonBlocking]) throws(SystemError) {
        let fd = try shimCall("fanotify_init") { rw_fan_init(notificationClass.rawValue | options.rawValue) }
        descriptor = FileDescriptor(rawValue: fd)
    }

    /// Adds `mask` to the inode mark on `path` (a mount or filesystem mark with those options).
    /// The corresponding C function is `fanotify_mark(2)` with `FAN_MARK_ADD`.
    public func mark(path: String, mask: FanotifyMask, options: MarkOptions = []) throws(SystemError) {
        _ = try shimCall("fanotify_mark") { rw_fan_mark(descriptor.rawValue, RW_FAN_MARK_ADD | options.rawValue, mask.rawValue, AT_FDCWD, path) }
    }

    /// Adds `mask` to the inode mark on the file `fd` refers to, `O_PATH` descriptors included.
    ///
    /// fanotify_mark(2) with a NULL path rejects `O_PATH` descriptors (EBADF), so the mark goes
    /// through the `/proc/self/fd/<fd>` magic link, which leads to exactly the open file: no second
    /// lookup of the original path. The corresponding C function is `fanotify_mark(2)` with `FAN_MARK_ADD`.
    public func mark(descriptor fd: FileDescriptor, mask: FanotifyMask) throws(SystemError) {
        try mark(path: "/proc/self/fd/\(fd.rawValue)", mask: mask)
    }

    /// Removes `mask` from the mark on `path`. Throws ENOENT when there was no such mark.
    /// The corresponding C function is `fanotify_mark(2)` with `FAN_MARK_REMOVE`.
    public func removeMark(path: String, mask: FanotifyMask, options: MarkOptions = []) throws(SystemError) {
        _ = try shimCall("fanotify_mark") { rw_fan_mark(descriptor.rawValue, RW_FAN_MARK_REMOVE | options.rawValue, mask.rawValue, AT_FDCWD, path) }
    }

    /// Resolves `path` and marks the file it leads to, by descriptor, so the inode marked is the one
    /// resolved (no second lookup). With `root`, the path is resolved as if `root` were `/`
    /// (`RESOLVE_IN_ROOT`: absolute symlinks inside a container's filesystem stay inside it); magic
    /// links such as `/proc/<pid>/root` are followed only to open `root` itself.
    /// The corresponding C functions are `openat2(2)` (`O_PATH`) and `fanotify_mark(2)`.
    ///
    /// Returns what was marked. Throws ENOENT when the path does not exist (normal while pods come and go).
    public func markFile(at path: String, inRoot root: String? = nil, mask: FanotifyMask) throws(SystemError) -> FanotifyMarkedFile {
        var rootFD: FileDescriptor?
        defer { try? rootFD?.close() }
        var dirfd = AT_FDCWD
        var resolve = RW_RESOLVE_NO_MAGICLINKS
        if let root {
            let fd = try shimCall("openat2") { rw_fan_open_path(AT_FDCWD, root, 0) }
            rootFD = FileDescriptor(rawValue: fd)
            dirfd = fd
            resolve |= RW_RESOLVE_IN_ROOT
        }
        let relative = root == nil ? path : String(path.drop(while: { $0 == "/" }))
        let target = FileDescriptor(rawValue: try shimCall("openat2") { rw_fan_open_path(dirfd, relative, resolve) })
        defer { try? target.close() }
        let id = try FanotifyFileID(of: target)
        try mark(descriptor: target, mask: mask)
        let resolved = try withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4097) { buffer throws(SystemError) -> String in
            _ = try shimCall("rw_fan_fd_path") { rw_fan_fd_path(target.rawValue, buffer.baseAddress, buffer.count) }
            return String(cString: buffer.baseAddress!)
        }
        return FanotifyMarkedFile(id: id, resolvedPath: resolved)
    }

    /// Reads up to `maxEvents` (at most 64) events with one `read(2)`.
    ///
    /// Returns nil when a non-blocking group has nothing queued (EAGAIN). The result's `problem` is
    /// set when a record could not be decoded; the events before it are still returned and must be
    /// answered and closed. The corresponding C function is `rw_fan_read`.
    public func readEvents(maxEvents: Int = FanotifyGroup.maxEventsPerRead) throws(SystemError) -> FanotifyDecodeResult? {
        let capacity = min(max(1, maxEvents), Int(RW_FAN_READ_MAX))
        assert(Int(RW_FAN_READ_MAX) == Self.maxEventsPerRead)
        return try withUnsafeTemporaryAllocation(of: rw_fan_event.self, capacity: capacity) { out throws(SystemError) -> FanotifyDecodeResult? in
            var status = rw_fan_decode_status()
            guard let count = try shimCallNonBlocking("fanotify read", { rw_fan_read(descriptor.rawValue, out.baseAddress, Int32(capacity), &status) }) else {
                return nil
            }
            return FanotifyDecodeResult(out: out, count: Int(count), status: status)
        }
    }

    /// Answers a permission event: `allow` lets the held operation proceed, otherwise it fails with
    /// EPERM. Throws ENOENT when the event was already answered or is not a permission event.
    /// Does not close the event's descriptor. The corresponding C function is `write(2)` of a
    /// `struct fanotify_response`.
    public func respond(to eventDescriptor: FileDescriptor, allow: Bool) throws(SystemError) {
        _ = try shimCall("fanotify respond") { rw_fan_respond(descriptor.rawValue, eventDescriptor.rawValue, allow ? 1 : 0) }
    }

    /// Answers `event` (see `respond(to:allow:)`); does nothing for events without a descriptor.
    public func respond(to event: FanotifyEvent, allow: Bool) throws(SystemError) {
        guard let fd = event.fileDescriptor else { return }
        try respond(to: fd, allow: allow)
    }

    /// Closes the group. The kernel then allows every permission event not yet answered and drops
    /// every mark. Call once, after the last reader and responder stopped.
    public func close() throws(SystemError) {
        do {
            try descriptor.close()
        } catch let errno as Errno {
            throw SystemError(operation: "close", errno: errno)
        } catch {
            preconditionFailure("FileDescriptor.close threw a non-Errno error: \(error)")
        }
    }
}

/// A file `FanotifyGroup.markFile` marked.
public struct FanotifyMarkedFile: Sendable, Hashable {
    /// Device and inode of the marked file.
    public var id: FanotifyFileID
    /// Where the resolution ended, as `/proc/self/fd` shows it (symlinks resolved).
    public var resolvedPath: String
}
