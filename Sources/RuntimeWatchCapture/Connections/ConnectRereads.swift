// SPDX-License-Identifier: Apache-2.0
// The descriptor re-reads of connecting shells (ConnectEnrichment), joined per process. A process
// that connects a thousand times a second wants a look at its fds 50 ms and 500 ms after each
// connect; one look serves every connect whose moment it does not precede. Each wanted moment is
// rounded up to a grid of half its delay, so every connect of a pid within one grid step shares one
// look, which comes at most half a delay late and never early. The work is then bounded by
// processes, not connects: one series of looks per connecting pid, at most 2/delay looks per second
// per delay (44 a second for 50 ms and 500 ms), and `limit` pids at once (beyond it a connect's
// re-reads are skipped and counted, cause `reread_limit`).

import Foundation
import RuntimeWatchCore
import Synchronization

final class ConnectRereads: Sendable {
    /// One connecting process's pending looks.
    struct Series: Sendable {
        /// When the next looks are due, earliest first.
        var due: [ContinuousClock.Instant] = []
        /// Start time of the connector as the connect-time read saw it: a look never reads
        /// another process that took its pid since.
        var startTicks: UInt64?
        /// Its own fds are looked at too (it is a shell or an interpreter).
        var connectorIsShell = false
        /// What was last reported per process, so a look reports only changes.
        var last: [ProcessID: [DescriptorInfo]] = [:]
    }

    /// What one look does: reads the connector (and its pipeline), reports changes, and returns the
    /// fds now seen per process. Runs outside the lock.
    typealias Look = @Sendable (_ pid: ProcessID, _ series: Series) -> [ProcessID: [DescriptorInfo]]

    /// How often a waiting series checks for looks added before the one it waits for.
    static let recheck = Duration.milliseconds(25)

    private let state = Mutex<[ProcessID: Series]>([:])

    init() {}

    /// Processes with looks pending.
    var pendingProcesses: Int { state.withLock { $0.count } }

    /// What was last reported of `pid`'s own fds (by its connect or a look) while its series of
    /// looks is pending, and whether a look at them is still due: that look reports any change, so
    /// a connect of the process need not read them first (`ProcReader.read(…knownDescriptors:)`).
    /// nil when no series is pending for `pid` or none reported its fds. One lock for both answers:
    /// a shell's connect asks once.
    func reported(pid: ProcessID) -> (known: KnownDescriptors, lookDue: Bool)? {
        state.withLock { all in
            guard let series = all[pid], let fds = series.last[pid] else { return nil }
            return (KnownDescriptors(startTicks: series.startTicks, fds: fds), series.connectorIsShell && !series.due.isEmpty)
        }
    }

    /// Asks for looks at `pid` after each of `delays` (each rounded up to a grid of half the delay,
    /// joining the look of that grid step when there is one). `seen`: the connector's fds already
    /// reported with this connect. `look` does the looks of a series this call starts (a joined
    /// call's `look` is not used).
    /// - Returns: false when `limit` processes already have looks pending and this one has none.
    func schedule(pid: ProcessID, startTicks: UInt64?, connectorIsShell: Bool, seen: [DescriptorInfo]?,
                  delays: [Duration], limit: Int, now: ContinuousClock.Instant = .now, look: @escaping Look) -> Bool {
        let startsSeries = state.withLock { all -> Bool? in
            var series: Series
            let isNew: Bool
            if let existing = all[pid], existing.startTicks == startTicks || startTicks == nil {
                series = existing
                isNew = false
            } else {
                // No series, or one of a process that has since given its pid away: it ends with its
                // next look (which no longer finds it), and this one replaces it.
                guard all.count < limit || all[pid] != nil else { return nil }
                series = Series(startTicks: startTicks)
                isNew = all[pid] == nil
            }
            series.connectorIsShell = series.connectorIsShell || connectorIsShell
            if let seen { series.last[pid] = seen }
            for delay in delays {
                let due = Self.roundedUp(now + delay, grain: delay / 2)
                if !series.due.contains(due) { series.due.append(due) }
            }
            series.due.sort()
            all[pid] = series
            return isNew
        }
        guard let startsSeries else { return false }
        if startsSeries { Task.detached { [self] in await run(pid, look: look) } }
        return true
    }

    /// The grid's origin: any fixed moment before every wanted one.
    private static let origin = ContinuousClock.now

    /// `wanted` rounded up to the next multiple of `grain` after `origin`.
    static func roundedUp(_ wanted: ContinuousClock.Instant, grain: Duration) -> ContinuousClock.Instant {
        let step = max(1, grain.wholeNanoseconds)
        let offset = (wanted - origin).wholeNanoseconds
        return origin + .nanoseconds((offset + step - 1) / step * step)
    }

    /// Looks at `pid` whenever a look is due, until none is.
    private func run(_ pid: ProcessID, look: Look) async {
        while true {
            guard let next = state.withLock({ $0[pid]?.due.first }) else { return }
            // A connect may add a look due before `next`: wake at least every `recheck` to see it.
            try? await Task.sleep(until: min(next, .now + Self.recheck), clock: .continuous)
            // Every look due by now is served by this one.
            let now = ContinuousClock.now
            guard let series = state.withLock({ all -> Series? in
                guard var s = all[pid], let first = s.due.first, first <= now else { return nil }
                s.due.removeAll { $0 <= now }
                all[pid] = s
                return s
            }) else { continue }
            let seen = look(pid, series)
            let done = state.withLock { all -> Bool in
                guard var s = all[pid] else { return true }
                for (target, fds) in seen { s.last[target] = fds }
                if s.due.isEmpty {
                    all.removeValue(forKey: pid)
                    return true
                }
                all[pid] = s
                return false
            }
            if done { return }
        }
    }
}
