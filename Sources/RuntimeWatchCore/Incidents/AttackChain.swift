// SPDX-License-Identifier: Apache-2.0
// The attack chain an incident is scored on: service-account token read, then API-server contact,
// then egress, then a shell. Steps count only in that order of EVENT time (gaps allowed: token read
// then shell is two steps), so the same alerts in another order score no chain bonus. Event time,
// not delivery order: live, the reverse shell (judged at the shell's exec) is often delivered before
// the egress alert of the connect that preceded it, because audit reports connects a little later.

struct AttackChain: Sendable, Hashable {
    /// Rule ids of each step, in chain order.
    static let steps: [Set<String>] = [
        [Rule.serviceAccountTokenRead.id],
        [Rule.kubernetesAPIAfterTokenRead.id],
        [Rule.unexpectedOutboundConnection.id],
        [Rule.reverseShell.id, Rule.bindShell.id],
    ]

    /// Event times of each step's alerts, ascending; at most `cap` per step (the earliest kept).
    private var times = [[UInt64]](repeating: [], count: steps.count)

    /// The most steps seen in chain order of event time.
    private(set) var length = 0

    /// Records an alert of `ruleID` at `time`; other rules change nothing.
    mutating func record(_ ruleID: String, at time: UInt64, cap: Int) {
        guard let step = Self.steps.firstIndex(where: { $0.contains(ruleID) }) else { return }
        var list = times[step]
        let index = list.firstIndex { $0 > time } ?? list.count
        guard index < cap else { return }
        list.insert(time, at: index)
        if list.count > cap { list.removeLast() }
        times[step] = list
        length = Self.longest(times)
    }

    /// Longest chain of steps with strictly increasing times: `earliestEnd[n]` is the earliest time
    /// a chain of n steps can end, over the steps seen so far (each step extends the chains before it).
    private static func longest(_ times: [[UInt64]]) -> Int {
        var earliestEnd = [UInt64?](repeating: nil, count: times.count + 1)
        for stepTimes in times {
            for n in stride(from: times.count, through: 1, by: -1) {
                let after = n == 1 ? nil : earliestEnd[n - 1]
                if n > 1 && after == nil { continue }
                guard let t = stepTimes.first(where: { after == nil || $0 > after! }) else { continue }
                if earliestEnd[n].map({ t < $0 }) ?? true { earliestEnd[n] = t }
            }
        }
        return earliestEnd.lastIndex { $0 != nil } ?? 0
    }
}
