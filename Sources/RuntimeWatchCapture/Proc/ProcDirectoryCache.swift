// SPDX-License-Identifier: Apache-2.0
// A small, bounded set of open /proc/<pid> directories, for the readers that read the same few
// processes over and over: one process connecting a thousand times a second (every connect is
// enriched from /proc, and shells are re-read), a loop reading a token (fanotify). Reusing the
// directory descriptor saves the path walk, open and close of /proc/<pid> per read; the files inside
// are still opened relative to it, so every read is fresh.
//
// Why a cached descriptor never reads a stranger: a /proc/<pid> directory descriptor stays bound to
// the process it was opened for. Once that process is reaped, every file opened through it fails
// with ENOENT/ESRCH, even after the pid went to a new process; the reader then reports the process
// gone, and the entry is dropped (`ProcReader+Cache` reopens once). Each entry also knows the start
// time of its process (stat field 22, read the first time a caller asks), so a caller that wants one
// particular process (the re-read of a connector) names its start time and gets neither a cached nor
// a freshly opened directory of any other process.
//
// Not used for exec reads: every exec is a process read once, so caching would only churn.

import RuntimeWatchCore
import RuntimeWatchSystem
import Synchronization

public final class ProcDirectoryCache: Sendable {
    /// The procfs root, "/proc" unless a test points it at a fixture tree.
    public let root: String
    /// Most directories held open at once. Each costs up to 6 descriptors (the directory and its
    /// kept-open files), so the default 32 holds at most 192: the fanotify token watcher DENIES a
    /// permission event when it cannot get a descriptor (EMFILE), and the usual soft limit is 1,024.
    public let capacity: Int
    /// Keep each cached process's files open too (`ProcDirectory.keepingFilesOpen`). Off for a
    /// fixture tree only: a removed regular file stays readable through an open descriptor, where a
    /// reaped process's /proc files fail.
    public let keepsFilesOpen: Bool
    private let state = Mutex(State())

    private struct State {
        var entries: [Int32: Slot] = [:]
        /// Advances on every use; the entry with the smallest `lastUse` is evicted first.
        var clock: UInt64 = 0
    }

    /// What `checkOut` found.
    enum CheckOut {
        case directory(Lease)
        /// No such process, or (start time given) /proc/<pid> is now another process.
        case gone
        /// Opening failed for another reason (the error names it).
        case failed(SystemError)
    }

    /// A directory in use; give it back with `checkIn`.
    struct Lease {
        let pid: Int32
        let directory: ProcDirectory
        /// True when it came from the cache (it may belong to a process reaped since).
        let wasCached: Bool
        fileprivate let slot: Slot

        /// The last complete read of `kind` through this directory, when made at or after `since`
        /// (monotonic nanoseconds). Tied to the directory, so to the one process it was opened for.
        func recentRead(_ kind: ReadKind, since: UInt64) -> RememberedRead? {
            slot.recentRead(kind, since: since)
        }

        /// Keeps `read`, a complete read of `kind`, for `recentRead`.
        func remember(_ read: RememberedRead, _ kind: ReadKind) {
            slot.remember(read, kind)
        }
    }

    /// A complete read kept for the next: the process, and for a task read the mount namespace and
    /// root it found (nil where not read).
    struct RememberedRead: Sendable {
        var info: ProcessInfo
        var extras = TaskExtrasRead()
        /// When it was made, monotonic nanoseconds.
        var at: UInt64
    }

    /// Which reader made a remembered read: each reuses only its own, as the two read different files
    /// (`read(pid:)`: stat, cwd, descriptors; `readTask`: none of those).
    enum ReadKind { case process, task }

    public init(root: String = "/proc", capacity: Int = 32, keepsFilesOpen: Bool = true) {
        precondition(capacity >= 0, "ProcDirectoryCache: capacity must not be negative")
        self.root = root
        self.capacity = capacity
        self.keepsFilesOpen = keepsFilesOpen
    }

    deinit {
        state.withLock { s in
            for slot in s.entries.values { slot.directory.close() }
            s.entries = [:]
        }
    }

    /// Directories held open now.
    public var count: Int { state.withLock { $0.entries.count } }

    /// Whether `pid` has an entry (tests, metrics).
    public func contains(pid: Int32) -> Bool { state.withLock { $0.entries[pid] != nil } }

    /// Drops the entry of `pid` (its process exited). A directory still in use is closed when given back.
    public func forget(pid: Int32) {
        let close = state.withLock { s -> ProcDirectory? in
            guard let slot = s.entries.removeValue(forKey: pid) else { return nil }
            return slot.retire()
        }
        close?.close()
    }

    /// The directory of `pid`: the cached one, or a new one, cached in place of the least recently
    /// used entry when full (an evicted directory still in use is closed when given back).
    /// - Parameter startTicks: the start time of the process wanted; nil takes whichever process has
    ///   the pid now.
    func checkOut(pid: Int32, startTicks: UInt64?) -> CheckOut {
        if let slot = state.withLock({ s -> Slot? in
            guard let slot = s.entries[pid] else { return nil }
            s.clock += 1
            slot.lastUse = s.clock
            slot.users += 1
            return slot
        }) {
            let lease = Lease(pid: pid, directory: slot.directory, wasCached: true, slot: slot)
            guard let startTicks else { return .directory(lease) }
            let known = slot.startTicks(reading: startTime(of: slot.directory))
            if known == startTicks { return .directory(lease) }
            // No start time readable: a reaped process's descriptor, dropped; /proc/<pid> is looked at
            // afresh (and checked). Another start time: the pid is another process's now, whose entry
            // stays for whoever asks for it.
            checkIn(lease, stale: known == nil)
            return known == nil ? open(pid: pid, startTicks: startTicks) : .gone
        }
        return open(pid: pid, startTicks: startTicks)
    }

    /// Gives a directory back. `stale`: reading through it said the process is gone, so the entry
    /// is dropped.
    func checkIn(_ lease: Lease, stale: Bool) {
        let close = state.withLock { s -> ProcDirectory? in
            if stale, let current = s.entries[lease.pid], current === lease.slot {
                s.entries.removeValue(forKey: lease.pid)
                _ = current.retire()
            }
            return lease.slot.release()
        }
        close?.close()
    }

    private func open(pid: Int32, startTicks: UInt64?) -> CheckOut {
        let directory: ProcDirectory
        // Its files stay open too: each later read of cmdline, stat, status, cgroup is one pread.
        do {
            let opened = try ProcDirectory.open("\(root)/\(pid)")
            directory = keepsFilesOpen && capacity > 0 ? opened.keepingFilesOpen() : opened
        } catch {
            return error.isProcessGone ? .gone : .failed(error)
        }
        var known: UInt64?
        if let startTicks {
            known = startTime(of: directory)
            guard known == startTicks else {
                directory.close()
                return .gone
            }
        }
        let slot = Slot(directory: directory, startTicks: known)
        let evicted = state.withLock { s -> [ProcDirectory] in
            var closing: [ProcDirectory] = []
            guard capacity > 0 else {
                // Nothing is kept: the lease is its only user, and checkIn closes it.
                slot.retired = true
                return closing
            }
            if let previous = s.entries.removeValue(forKey: pid), let d = previous.retire() { closing.append(d) }
            if s.entries.count >= capacity,
               let oldest = s.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                s.entries.removeValue(forKey: oldest.key)
                if let d = oldest.value.retire() { closing.append(d) }
            }
            s.clock += 1
            slot.lastUse = s.clock
            s.entries[pid] = slot
            return closing
        }
        for d in evicted { d.close() }
        return .directory(Lease(pid: pid, directory: directory, wasCached: false, slot: slot))
    }

    /// Stat field 22 of the process behind `directory`, nil when it cannot be read (gone).
    private func startTime(of directory: ProcDirectory) -> UInt64? {
        ProcReader(root: root).stat(in: directory)?.startTicks
    }
}

/// One open directory. Its mutable fields are only touched under the cache's lock, except
/// `startTicks(reading:)` and the remembered reads, which have their own locks.
private final class Slot: @unchecked Sendable {
    let directory: ProcDirectory
    var lastUse: UInt64 = 0
    /// Checked-out leases (the cache itself does not count).
    var users = 1
    /// Out of the cache: closed when the last user gives it back.
    var retired = false
    private let start: Mutex<UInt64?>
    /// The last complete read of the process by each reader and when (monotonic ns):
    /// `ProcReader+Cache`'s reuse.
    private let lastProcessRead = Mutex<ProcDirectoryCache.RememberedRead?>(nil)
    private let lastTaskRead = Mutex<ProcDirectoryCache.RememberedRead?>(nil)

    func recentRead(_ kind: ProcDirectoryCache.ReadKind, since: UInt64) -> ProcDirectoryCache.RememberedRead? {
        func recent(_ last: ProcDirectoryCache.RememberedRead?) -> ProcDirectoryCache.RememberedRead? {
            last.flatMap { $0.at >= since ? $0 : nil }
        }
        switch kind {
        case .process: return lastProcessRead.withLock { recent($0) }
        case .task: return lastTaskRead.withLock { recent($0) }
        }
    }

    func remember(_ read: ProcDirectoryCache.RememberedRead, _ kind: ProcDirectoryCache.ReadKind) {
        switch kind {
        case .process: lastProcessRead.withLock { $0 = read }
        case .task: lastTaskRead.withLock { $0 = read }
        }
    }

    init(directory: ProcDirectory, startTicks: UInt64?) {
        self.directory = directory
        self.start = Mutex(startTicks)
    }

    /// The start time, read once (by `read`, an autoclosure so a known value costs no read).
    func startTicks(reading read: @autoclosure () -> UInt64?) -> UInt64? {
        if let known = start.withLock({ $0 }) { return known }
        let value = read()
        start.withLock { $0 = $0 ?? value }
        return value
    }

    /// Takes it out of the cache; returns the directory to close now when no lease uses it.
    func retire() -> ProcDirectory? {
        retired = true
        return users == 0 ? directory : nil
    }

    /// One lease given back; returns the directory to close now when it was the last one of a retired slot.
    func release() -> ProcDirectory? {
        users -= 1
        return retired && users == 0 ? directory : nil
    }
}
