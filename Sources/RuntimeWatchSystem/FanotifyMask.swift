// SPDX-License-Identifier: Apache-2.0
// The fanotify event mask as a typed option set, so callers write `.openPermission` instead of
// FAN_OPEN_PERM. Each member names its C constant; the C spellings are kept as unavailable aliases
// so a search for the kernel name lands here.

internal import CShims

/// Which file events a fanotify mark asks for, and which fired in an event.
public struct FanotifyMask: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The file was read. The corresponding C constant is `FAN_ACCESS`.
    public static let access = FanotifyMask(rawValue: RW_FAN_ACCESS)
    /// The file was written. The corresponding C constant is `FAN_MODIFY`.
    public static let modify = FanotifyMask(rawValue: RW_FAN_MODIFY)
    /// Metadata changed. The corresponding C constant is `FAN_ATTRIB`.
    public static let attributeChange = FanotifyMask(rawValue: RW_FAN_ATTRIB)
    /// A file opened for writing was closed. The corresponding C constant is `FAN_CLOSE_WRITE`.
    public static let closeWrite = FanotifyMask(rawValue: RW_FAN_CLOSE_WRITE)
    /// A file not opened for writing was closed. The corresponding C constant is `FAN_CLOSE_NOWRITE`.
    public static let closeNoWrite = FanotifyMask(rawValue: RW_FAN_CLOSE_NOWRITE)
    /// The file was opened (notification, after the fact). The corresponding C constant is `FAN_OPEN`.
    public static let open = FanotifyMask(rawValue: RW_FAN_OPEN)
    /// The file was opened to be executed. The corresponding C constant is `FAN_OPEN_EXEC`.
    public static let openExec = FanotifyMask(rawValue: RW_FAN_OPEN_EXEC)
    /// The kernel queue overflowed and events were lost. The corresponding C constant is `FAN_Q_OVERFLOW`.
    public static let queueOverflow = FanotifyMask(rawValue: RW_FAN_Q_OVERFLOW)
    /// Permission to open: the opener waits until the listener answers.
    /// The corresponding C constant is `FAN_OPEN_PERM`.
    public static let openPermission = FanotifyMask(rawValue: RW_FAN_OPEN_PERM)
    /// Permission to read: the reader waits until the listener answers.
    /// The corresponding C constant is `FAN_ACCESS_PERM`.
    public static let accessPermission = FanotifyMask(rawValue: RW_FAN_ACCESS_PERM)
    /// Permission to open for execution. The corresponding C constant is `FAN_OPEN_EXEC_PERM`.
    public static let openExecPermission = FanotifyMask(rawValue: RW_FAN_OPEN_EXEC_PERM)
    /// Also report events on directories. The corresponding C constant is `FAN_ONDIR`.
    public static let onDirectory = FanotifyMask(rawValue: RW_FAN_ONDIR)
    /// Report events on the direct children of a marked directory.
    /// The corresponding C constant is `FAN_EVENT_ON_CHILD`.
    public static let eventOnChild = FanotifyMask(rawValue: RW_FAN_EVENT_ON_CHILD)

    /// Every event that holds the caller until the listener answers.
    public static let permissionEvents: FanotifyMask = [.openPermission, .accessPermission, .openExecPermission]

    private static let names: [(FanotifyMask, String)] = [
        (.access, "access"), (.modify, "modify"), (.attributeChange, "attributeChange"),
        (.closeWrite, "closeWrite"), (.closeNoWrite, "closeNoWrite"), (.open, "open"),
        (.openExec, "openExec"), (.queueOverflow, "queueOverflow"), (.openPermission, "openPermission"),
        (.accessPermission, "accessPermission"), (.openExecPermission, "openExecPermission"),
        (.onDirectory, "onDirectory"), (.eventOnChild, "eventOnChild"),
    ]

    /// `[open, openPermission]`, with any unnamed bits in hex.
    public var description: String {
        var parts = Self.names.filter { contains($0.0) }.map(\.1)
        let rest = rawValue & ~Self.names.reduce(0) { $0 | $1.0.rawValue }
        if rest != 0 { parts.append("0x" + String(rest, radix: 16)) }
        return "[" + parts.joined(separator: ", ") + "]"
    }
}

extension FanotifyMask {
    @available(*, unavailable, renamed: "access")
    public static var FAN_ACCESS: FanotifyMask { access }
    @available(*, unavailable, renamed: "modify")
    public static var FAN_MODIFY: FanotifyMask { modify }
    @available(*, unavailable, renamed: "closeWrite")
    public static var FAN_CLOSE_WRITE: FanotifyMask { closeWrite }
    @available(*, unavailable, renamed: "closeNoWrite")
    public static var FAN_CLOSE_NOWRITE: FanotifyMask { closeNoWrite }
    @available(*, unavailable, renamed: "open")
    public static var FAN_OPEN: FanotifyMask { open }
    @available(*, unavailable, renamed: "queueOverflow")
    public static var FAN_Q_OVERFLOW: FanotifyMask { queueOverflow }
    @available(*, unavailable, renamed: "openPermission")
    public static var FAN_OPEN_PERM: FanotifyMask { openPermission }
    @available(*, unavailable, renamed: "accessPermission")
    public static var FAN_ACCESS_PERM: FanotifyMask { accessPermission }
}
