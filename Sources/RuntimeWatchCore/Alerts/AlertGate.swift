// SPDX-License-Identifier: Apache-2.0
// The one place that decides whether an alert may leave the engine. falcosidekick rejects alerts with
// an empty rule, priority, time or output_fields; we would rather complete an alert from the rule
// catalog than lose it, and refuse only what cannot be completed.

public enum AlertGate {
    /// Why an alert was refused.
    public enum Rejection: String, Error, Sendable {
        /// Neither `ruleID` nor `ruleName` names a rule.
        case noRule = "no rule"
        /// `timestamp` is 0: the event time was never set.
        case noTime = "no time"
    }

    /// Completes `alert` (rule name/id from the catalog, empty output_fields get `evt.time`, empty
    /// output gets the rule name, empty hostname gets `hostname`) or refuses it.
    /// - Returns: the deliverable alert, or why it cannot be delivered.
    public static func admit(_ alert: Alert, catalog: RuleCatalog, hostname: String) -> Result<Alert, Rejection> {
        var a = alert
        if a.ruleID.isEmpty, !a.ruleName.isEmpty { a.ruleID = catalog.rule(named: a.ruleName)?.id ?? "" }
        if a.ruleName.isEmpty { a.ruleName = catalog.rule(id: a.ruleID)?.name ?? a.ruleID }
        guard !a.ruleName.isEmpty else { return .failure(.noRule) }
        if a.ruleID.isEmpty { a.ruleID = a.ruleName }
        guard a.timestamp != 0 else { return .failure(.noTime) }
        if a.fields.isEmpty { a.fields["evt.time"] = .int(Int64(clamping: a.timestamp)) }
        a.replaceEmptyOutput(with: a.ruleName)
        if a.hostname.isEmpty { a.hostname = hostname }
        if a.count < 1 { a.count = 1 }
        return .success(a)
    }
}
