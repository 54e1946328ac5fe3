// SPDX-License-Identifier: Apache-2.0
// State the token watcher's threads share: the running flag, the table of marked files, the
// container roots to look into, and the counters. Each piece has its own lock, held briefly.

import Synchronization
import RuntimeWatchCore
import RuntimeWatchSystem

final class TokenWatchShared: Sendable {
    /// The event and watchdog threads run while set.
    let running = Atomic<Bool>(false)
    /// The rescan thread runs while set; cleared first on stop, so marking ends before answering does.
    let scanning = Atomic<Bool>(false)
    let counters = Mutex(TokenWatchCounters())
    /// Marked files by device and inode: how events name the file that was opened.
    let marked = Mutex<[FanotifyFileID: WatchedToken]>([:])
    let containerRoots = Mutex<Set<ProcessID>>([])

    var isRunning: Bool { running.load(ordering: .acquiring) }
    var isScanning: Bool { scanning.load(ordering: .acquiring) }

    func watchedToken(for id: FanotifyFileID) -> WatchedToken? {
        marked.withLock { $0[id] }
    }

    func count(_ update: (inout TokenWatchCounters) -> Void) {
        counters.withLock { update(&$0) }
    }
}
