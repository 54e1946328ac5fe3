// SPDX-License-Identifier: Apache-2.0
// What came of a ResponsePlan, and the `response-taken` alert that reports it. The executor in
// `run` produces the outcome (it is the only code that acts); building the alert is pure.

public enum ResponseOutcome: Sendable, Hashable {
    /// Done; `detail` says where (the cgroup file written, the pid signalled).
    case done(detail: String)
    /// `respond_dry_run: true`: nothing was done.
    case dryRun
    case refused(ResponseRefusal)
    /// The action failed; `error` names the call and errno.
    case failed(error: String)

    /// The `result` label of `runtime_watch_responses_total` and the alert's `rw.response.result`.
    public var result: String {
        switch self {
        case .done: "done"
        case .dryRun: "dry_run"
        case .refused: "refused"
        case .failed: "failed"
        }
    }

    var detail: String {
        switch self {
        case .done(let detail): detail
        case .dryRun: "dry run: nothing done"
        case .refused(let why): "refused: \(why.rawValue)"
        case .failed(let error): "failed: \(error)"
        }
    }
}

public enum ResponseAlertBuilder {
    /// The `response-taken` alert for `plan`, triggered by `trigger`, with `outcome`, at `now` (ns).
    /// It keeps the trigger's workload fields and incident id so it joins the same investigation.
    public static func alert(plan: ResponsePlan, outcome: ResponseOutcome, trigger: Alert, now: UInt64) -> Alert {
        let rule = Rule.responseTaken
        var fields: AlertFields = [
            "evt.time": .int(Int64(clamping: now)),
            "evt.type": .string("response"),
            "rw.response.action": .string(plan.action.rawValue),
            "rw.response.result": .string(outcome.result),
            "rw.response.detail": .string(outcome.detail),
            "rw.response.dry_run": .string(plan.dryRun ? "true" : "false"),
            "rw.response.rule": .string(trigger.ruleID),
            "rw.response.trigger_time": .int(Int64(clamping: trigger.timestamp)),
            "proc.pid": FieldValue(plan.pid),
        ]
        for name in ["container.id", "container.name", "k8s.pod.name", "k8s.ns.name", "k8s.pod.uid", "proc.name", "rw.incident.id"] {
            if let value = trigger.fields[name] { fields[name] = value }
        }
        let verb = plan.dryRun ? "would \(plan.summary) (dry run)" : plan.summary
        return Alert(timestamp: now, ruleID: rule.id, ruleName: rule.name, priority: rule.priority, source: rule.source,
                     hostname: trigger.hostname,
                     output: "Response to \(trigger.ruleName): \(verb): \(outcome.detail) (rw.response.result=\(outcome.result))",
                     tags: rule.tags, fields: fields, advice: rule.advice)
    }
}
