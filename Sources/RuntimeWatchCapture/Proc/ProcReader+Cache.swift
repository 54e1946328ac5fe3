// SPDX-License-Identifier: Apache-2.0
// The same reads as `read(pid:)` and `readTask`, through a `ProcDirectoryCache`: for readers that
// look at the same processes again and again (connect enrichment and its re-reads, the token
// watcher). A cached directory whose process was reaped reads nothing; the entry is then dropped and
// /proc/<pid> opened afresh, once, so a pid now used by a new process is read as that process (or,
// with `startTicks`, not at all).

import RuntimeWatchCore
import RuntimeWatchSystem

extension ProcReader {
    /// `read(pid:)` through `directories` (whose root is used).
    /// - Parameter startTicks: read only the process that started then (stat field 22); any other
    ///   process now holding the pid reads as vanished.
    public func read(pid: Int32, startTicks: UInt64? = nil, netTables: NetTableCache? = nil,
                     directories: ProcDirectoryCache) -> ProcReadResult {
        Self.through(directories, pid: pid, startTicks: startTicks,
                     read: { finish(begin(pid: pid, in: $0, closing: false), netTables: netTables) },
                     readNothing: { $0.outcome == .vanished },
                     unopened: { issue in
                         ProcReadResult(info: nil, outcome: .vanished, issues: issue.map { [ProcReadIssue(pid: pid, file: "", reason: $0)] } ?? [])
                     })
    }

    /// `readTask` through `directories` (whose root is used).
    public func readTask(_ taskID: Int32, extras: TaskExtras = [], extrasDeadline: ContinuousClock.Instant? = nil,
                         directories: ProcDirectoryCache) -> TaskRead {
        Self.through(directories, pid: taskID, startTicks: nil,
                     read: { readTask(taskID, in: $0, extras: extras, extrasDeadline: extrasDeadline) },
                     readNothing: { !$0.session.readSomething },
                     unopened: { issue in
                         var read = TaskRead(taskID: taskID, session: ReadSession(pid: taskID, limits: limits))
                         if let issue { read.session.issue("", issue) }
                         return read
                     })
    }

    /// Runs `read` on the directory of `pid`; when a cached one read nothing (its process was
    /// reaped), drops it and tries once more with /proc/<pid> opened afresh.
    /// - Parameter unopened: the result when no directory could be had (an issue when not simply gone).
    private static func through<R>(_ directories: ProcDirectoryCache, pid: Int32, startTicks: UInt64?,
                                   read: (ProcDirectory) -> R, readNothing: (R) -> Bool,
                                   unopened: (String?) -> R) -> R {
        var result: R?
        for _ in 0..<2 {
            switch directories.checkOut(pid: pid, startTicks: startTicks) {
            case .gone:
                return result ?? unopened(nil)
            case .failed(let error):
                return result ?? unopened("\(error)")
            case .directory(let lease):
                let outcome = read(lease.directory)
                let stale = readNothing(outcome)
                directories.checkIn(lease, stale: stale)
                guard stale && lease.wasCached else { return outcome }
                result = outcome
            }
        }
        return result!
    }
}
