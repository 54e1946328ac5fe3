// SPDX-License-Identifier: Apache-2.0
// The attack chain an incident is scored on: service-account token read, then API-server contact,
// then egress, then a shell. Steps count only in that order (gaps allowed: token read then shell is
// two steps), so the same alerts in another order score no chain bonus.

struct AttackChain: Sendable, Hashable {
    /// Rule ids of each step, in chain order.
    static let steps: [Set<String>] = [
        [Rule.serviceAccountTokenRead.id],
        [Rule.kubernetesAPIAfterTokenRead.id],
        [Rule.unexpectedOutboundConnection.id],
        [Rule.reverseShell.id, Rule.bindShell.id],
    ]

    /// Longest in-order run of steps ending at each step (0: not reached).
    private var longestEndingAt = [Int](repeating: 0, count: steps.count)

    /// The most steps seen in chain order.
    var length: Int { longestEndingAt.max() ?? 0 }

    /// Records an alert of `ruleID` (alerts arrive in event order); other rules change nothing.
    mutating func record(_ ruleID: String) {
        guard let step = Self.steps.firstIndex(where: { $0.contains(ruleID) }) else { return }
        let before = longestEndingAt[..<step].max() ?? 0
        longestEndingAt[step] = max(longestEndingAt[step], before + 1)
    }
}
