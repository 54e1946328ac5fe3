// SPDX-License-Identifier: Apache-2.0
// Scripts event streams for state tests: each call makes one EventRecord with a timestamp after
// the previous one (Falco's add_event_advance_ts), returns it, and keeps it in `records`, so a
// test can apply them in order or deliberately out of order.

@testable import RuntimeWatchCore

struct TraceBuilder {
    /// Timestamp of the next event (ns since the epoch).
    private(set) var now: UInt64
    /// Gap between consecutive events.
    var step: UInt64
    /// Every event made so far, in the order made (= timestamp order).
    private(set) var records: [EventRecord] = []

    init(start: UInt64 = 1_700_000_000_000_000_000, step: UInt64 = 1_000_000) {
        self.now = start
        self.step = step
    }

    /// Moves the clock forward without an event.
    mutating func advance(by nanoseconds: UInt64) { now += nanoseconds }

    @discardableResult
    mutating func snapshot(_ pid: Int32, ppid: Int32?, exe: String, cgroup: String? = "/", startTicks: UInt64? = nil,
                           fds: [DescriptorInfo]? = nil) -> EventRecord {
        emit(.snapshot(info(pid, ppid: ppid, exe: exe, cgroup: cgroup, startTicks: startTicks, fds: fds)))
    }

    @discardableResult
    mutating func fork(parent: Int32, child: Int32) -> EventRecord {
        emit(.fork(ForkEvent(parent: ProcessID(parent), child: ProcessID(child))))
    }

    /// An exec as capture reports it: /proc read at exec time. `cgroup: nil` models a process
    /// that was gone before its cgroup could be read.
    @discardableResult
    mutating func exec(_ pid: Int32, ppid: Int32? = nil, exe: String, argv: [String]? = nil, cgroup: String? = "/",
                       startTicks: UInt64? = nil, fds: [DescriptorInfo]? = nil) -> EventRecord {
        var i = info(pid, ppid: ppid, exe: exe, cgroup: cgroup, startTicks: startTicks, fds: fds)
        i.argv = argv ?? [exe]
        return emit(.exec(i))
    }

    @discardableResult
    mutating func exit(_ pid: Int32, code: Int32 = 0) -> EventRecord {
        emit(.exit(ExitEvent(pid: ProcessID(pid), code: code)))
    }

    @discardableResult
    mutating func descriptors(_ pid: Int32, _ fds: [DescriptorInfo]) -> EventRecord {
        emit(.descriptors(DescriptorsEvent(pid: ProcessID(pid), fds: fds)))
    }

    @discardableResult
    mutating func comm(_ pid: Int32, _ comm: String) -> EventRecord {
        emit(.comm(CommEvent(pid: ProcessID(pid), comm: comm)))
    }

    @discardableResult
    mutating func container(_ info: ContainerInfo) -> EventRecord { emit(.container(info)) }

    @discardableResult
    mutating func fileOpen(_ pid: Int32, path: String, process: ProcessInfo? = nil) -> EventRecord {
        emit(.fileOpen(FileOpenEvent(pid: ProcessID(pid), path: path, process: process)))
    }

    /// Any event, stamped with the next time.
    @discardableResult
    mutating func emit(_ event: Event) -> EventRecord {
        let record = EventRecord(timestamp: now, event: event)
        records.append(record)
        now += step
        return record
    }

    /// Descriptors 0-2 all on one pipe or socket inode (a shell wired into a pipeline or socket).
    static func streams(_ kind: DescriptorInfo.Kind, inode: UInt64) -> [DescriptorInfo] {
        let target = kind == .socket ? "socket:[\(inode)]" : "pipe:[\(inode)]"
        return (0...2).map { DescriptorInfo(fd: $0, kind: kind, target: target, inode: inode) }
    }

    private func info(_ pid: Int32, ppid: Int32?, exe: String, cgroup: String?, startTicks: UInt64?,
                      fds: [DescriptorInfo]?) -> ProcessInfo {
        ProcessInfo(pid: ProcessID(pid), ppid: ppid.map { ProcessID($0) }, comm: String(exe.split(separator: "/").last ?? "").prefix(15).description,
                    exe: exe, cgroup: cgroup, fds: fds, startTicks: startTicks, source: cgroup == nil ? "partial" : "proc")
    }
}

extension SystemState {
    /// Applies records in the given order.
    mutating func apply(_ records: [EventRecord]) {
        for r in records { apply(r) }
    }
}
