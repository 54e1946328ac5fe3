// SPDX-License-Identifier: Apache-2.0
// One fanotify event as Swift sees it, and the pure decoder of the kernel's
// fanotify_event_metadata records (exposed so tests can hand it crafted and truncated buffers).

internal import CShims
internal import Glibc
public import SystemPackage

/// One event read from a fanotify group.
///
/// The event owns `fileDescriptor` (an fd the kernel opened on the watched file in the listener's
/// process). Whoever handles the event must answer it (for permission events) and then `close()` it.
public struct FanotifyEvent: Sendable, Hashable {
    /// What fired.
    public var mask: FanotifyMask
    /// The process (thread-group id) that caused the event, or its thread id when the group was
    /// created with `.reportThreadID`.
    public var pid: Int32
    /// The event's file descriptor, or nil for events without a file (queue overflow: `FAN_NOFD`).
    public var fileDescriptor: FileDescriptor?

    public init(mask: FanotifyMask, pid: Int32, fileDescriptor: FileDescriptor?) {
        self.mask = mask
        self.pid = pid
        self.fileDescriptor = fileDescriptor
    }

    /// True when the causing process is held until the listener answers (`FAN_*_PERM`).
    public var isPermissionRequest: Bool { !mask.intersection(.permissionEvents).isEmpty }

    /// True for the kernel's "events were lost" marker (`FAN_Q_OVERFLOW`).
    public var isQueueOverflow: Bool { mask.contains(.queueOverflow) }

    /// The watched file's path as the listener resolves it: `readlink("/proc/self/fd/<fd>")`. For an
    /// opener in another mount namespace this is the path in that namespace. Returns nil for
    /// events without a file.
    public func path() throws(SystemError) -> String? {
        guard let fd = fileDescriptor else { return nil }
        return try withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4097) { buffer throws(SystemError) -> String in
            _ = try shimCall("rw_fan_fd_path") { rw_fan_fd_path(fd.rawValue, buffer.baseAddress, buffer.count) }
            return String(cString: buffer.baseAddress!)
        }
    }

    /// Device and inode of the watched file (`fstat(2)` on the event fd). Returns nil for events
    /// without a file.
    public func fileID() throws(SystemError) -> FanotifyFileID? {
        guard let fd = fileDescriptor else { return nil }
        return try FanotifyFileID(of: fd)
    }

    /// Closes the event's file descriptor. Answer permission events before closing.
    public func close() {
        guard let fd = fileDescriptor else { return }
        try? fd.close()
    }

    /// Decodes raw `fanotify_event_metadata` records, as `read(2)` on a group returns them.
    ///
    /// Stops at the first record it cannot trust (truncated header, wrong metadata version, length
    /// out of bounds, more than `maxEvents` records) and says so in `problem`; the events before it
    /// are returned. The returned descriptors are only numbers copied out of the buffer: nothing is
    /// opened or closed. The corresponding C function is `rw_fan_decode`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, maxEvents: Int = FanotifyGroup.maxEventsPerRead) -> FanotifyDecodeResult {
        let capacity = max(0, maxEvents)
        return withUnsafeTemporaryAllocation(of: rw_fan_event.self, capacity: max(1, capacity)) { out in
            var status = rw_fan_decode_status()
            let count = rw_fan_decode(bytes.baseAddress, bytes.count, out.baseAddress, Int32(clamping: capacity), &status)
            precondition(count >= 0, "rw_fan_decode rejected its arguments (\(count))")
            return FanotifyDecodeResult(out: out, count: Int(count), status: status)
        }
    }
}

/// A file's identity on this host: device and inode, as `stat(2)` reports them.
public struct FanotifyFileID: Sendable, Hashable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// `fstat(2)` of an open descriptor. The corresponding C function is `rw_fan_fd_identity`.
    public init(of fd: FileDescriptor) throws(SystemError) {
        var device: UInt64 = 0
        var inode: UInt64 = 0
        _ = try shimCall("rw_fan_fd_identity") { rw_fan_fd_identity(fd.rawValue, &device, &inode) }
        self.init(device: device, inode: inode)
    }

    public var description: String { "dev \(device) ino \(inode)" }
}

/// What `FanotifyEvent.decode` (and `FanotifyGroup.readEvents`) produced.
public struct FanotifyDecodeResult: Sendable {
    /// The records decoded before any problem, in order.
    public var events: [FanotifyEvent]
    /// Why decoding stopped early, or nil when every byte was consumed.
    public var problem: FanotifyDecodeError?

    init(out: UnsafeMutableBufferPointer<rw_fan_event>, count: Int, status: rw_fan_decode_status) {
        events = (0..<count).map { i in
            let raw = out[i]
            return FanotifyEvent(mask: FanotifyMask(rawValue: raw.mask), pid: raw.pid,
                                 fileDescriptor: raw.fd == RW_FAN_NOFD ? nil : FileDescriptor(rawValue: raw.fd))
        }
        problem = FanotifyDecodeError(status: status)
    }
}

/// A fanotify event buffer that could not be fully decoded: where and why.
public struct FanotifyDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// Fewer than 24 bytes (one metadata header) were left.
        case truncatedHeader
        /// The record's `vers` is not FANOTIFY_METADATA_VERSION (3).
        case versionMismatch(found: UInt32)
        /// `event_len` (or `metadata_len`) is smaller than a header or runs past the buffer.
        case badLength(eventLength: UInt32)
        /// The caller's output had room for fewer records than the buffer held.
        case tooManyRecords
    }
    /// Byte offset of the record that was not decoded.
    public var offset: Int
    public var reason: Reason

    public init(offset: Int, reason: Reason) {
        self.offset = offset
        self.reason = reason
    }

    init?(status: rw_fan_decode_status) {
        offset = Int(status.offset)
        switch -status.error {
        case 0: return nil
        case EPROTO: reason = .versionMismatch(found: status.version)
        case EBADMSG: reason = status.version == 0 ? .truncatedHeader : .badLength(eventLength: status.event_len)
        case ENOSPC: reason = .tooManyRecords
        default: reason = .badLength(eventLength: status.event_len)
        }
    }

    public var description: String {
        switch reason {
        case .truncatedHeader: "fanotify event at byte \(offset): truncated header (fewer than 24 bytes left)"
        case .versionMismatch(let v): "fanotify event at byte \(offset): metadata version \(v), expected 3"
        case .badLength(let len): "fanotify event at byte \(offset): event_len \(len) out of bounds"
        case .tooManyRecords: "fanotify event at byte \(offset): more records than the caller's buffer holds"
        }
    }
}
