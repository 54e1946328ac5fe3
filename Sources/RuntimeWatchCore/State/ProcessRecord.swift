// SPDX-License-Identifier: Apache-2.0
// What the state knows about one process incarnation: the value detectors read. Kept apart from the
// table that stores it so its fields and their meaning can be read in one place.

/// How a record's `container` was decided.
public enum ContainerAttribution: String, Sendable, Hashable {
    /// From the process's own cgroup path; `container == nil` then means a host process.
    case cgroup
    /// Inherited from the parent: cgroup membership is inherited at fork, so a child that was
    /// never read (forked and exited too fast, or exec'd with an unreadable /proc) is in its
    /// parent's container.
    case parent
    /// Nobody knew yet (forked from a parent the state has not seen). Resolved as soon as the
    /// parent, or the process itself, is defined.
    case unknown
}

/// Which event created or last defined a record.
public enum RecordOrigin: String, Sendable, Hashable {
    /// A fork; `info` is a copy of the parent's (the child runs the parent's image until it execs).
    case fork
    case exec
    /// The startup /proc scan or a resynchronisation.
    case snapshot
    /// The process info attached to a file-open or connect event (the opener raced /proc).
    case event
    /// Only its exit was seen (delivered before anything else about it); `info` is empty.
    case exit
}

/// What the state knows about one process.
public struct ProcessRecord: Sendable, Hashable {
    public var pid: ProcessID
    /// Current parent: the fork parent, the /proc `PPid` of the latest exec or snapshot, or the
    /// reaper the state chose when the parent exited. Kept equal to `info.ppid`.
    public var ppid: ProcessID?
    /// Latest exec or snapshot info; for a forked child not yet exec'd, a copy of the parent's
    /// (with `startTicks` cleared and `source == "inherited"`).
    public var info: ProcessInfo
    /// Container the process belongs to, or nil for a host process (see `attribution`).
    public var container: ContainerID?
    /// Set when the process has exited (event time, ns). Reaped after the grace period.
    public var exitedAt: UInt64?
    /// Time of the last fork/exec/snapshot that (re)defined this record; 0 when only the exit was seen.
    public var since: UInt64
    /// Earliest event time this incarnation is known to have existed at (its fork, when seen).
    public var firstSeen: UInt64
    /// How `container` was decided.
    public var attribution: ContainerAttribution
    /// Which event created or last defined this record.
    public var origin: RecordOrigin
    /// Identifies this incarnation of the pid; assigned by `ProcessTable` when the record is first
    /// stored (0 before). A reused pid gets a new serial.
    public internal(set) var serial: UInt64
    /// Serial of the parent incarnation `ppid` referred to when it was set, so ancestry does not
    /// walk into an unrelated process that reused the parent's pid. Nil when the parent was unknown.
    public var parentSerial: UInt64?

    public init(pid: ProcessID, ppid: ProcessID?, info: ProcessInfo, container: ContainerID?, exitedAt: UInt64? = nil,
                since: UInt64, firstSeen: UInt64? = nil, attribution: ContainerAttribution = .cgroup,
                origin: RecordOrigin = .exec, parentSerial: UInt64? = nil) {
        self.pid = pid; self.ppid = ppid; self.info = info; self.container = container
        self.exitedAt = exitedAt; self.since = since; self.firstSeen = firstSeen ?? since
        self.attribution = attribution; self.origin = origin; self.serial = 0; self.parentSerial = parentSerial
    }

    /// True until the exit is seen.
    public var isAlive: Bool { exitedAt == nil }

    /// Whether the process was still running at time `t`: judging an event delivered late (audit's
    /// connect after the proc connector's exit) asks about the moment it happened, not now.
    public func wasAlive(at t: UInt64) -> Bool { exitedAt.map { $0 >= t } ?? true }

    /// Inodes of the pipes and sockets on descriptors 0-2 (what `ProcessTable.holders(ofInode:)`
    /// indexes). Kept after the exit, until the record is reaped: an event delivered late is
    /// judged by who held what when it happened.
    var standardStreamInodes: StreamInodes { info.standardStreamInodes }
}

/// Up to three distinct inodes (one per standard descriptor), stored inline: the table computes
/// these twice per update, so they must not allocate.
struct StreamInodes: Equatable, Sequence {
    private var a: UInt64?, b: UInt64?, c: UInt64?

    mutating func insert(_ inode: UInt64) {
        if contains(inode) { return }
        if a == nil { a = inode } else if b == nil { b = inode } else if c == nil { c = inode }
    }

    func contains(_ inode: UInt64) -> Bool { a == inode || b == inode || c == inode }

    func makeIterator() -> Iterator { Iterator(slots: (a, b, c)) }

    struct Iterator: IteratorProtocol {
        var slots: (UInt64?, UInt64?, UInt64?)
        var position = 0
        mutating func next() -> UInt64? {
            while position < 3 {
                position += 1
                let value = position == 1 ? slots.0 : position == 2 ? slots.1 : slots.2
                if let value { return value }
            }
            return nil
        }
    }
}
