// SPDX-License-Identifier: Apache-2.0
// Which audit stages the rules evaluate. Every request is logged at up to three stages with the
// same auditID; evaluating all of them would alert three times. ResponseComplete and Panic are the
// final word. RequestReceived/ResponseStarted only repeat them, except for long-running requests
// (exec, attach) whose ResponseComplete comes when the session ends, possibly hours later: those
// are judged at ResponseStarted, the first stage that carries the authorizer's decision and the
// response code (RequestReceived is logged before authorization; the detector holds it, bounded,
// and reports it as undecided only if no later stage comes).

public enum AuditStagePolicy {
    public static let evaluatedStages: Set<String> = ["ResponseComplete", "Panic"]
    public static let earlyStages: Set<String> = ["RequestReceived", "ResponseStarted"]

    /// True for `pods/exec` and `pods/attach`: their first stage is when the session starts.
    public static func isLongRunning(_ e: AuditEvent) -> Bool {
        guard e.objectRef?.resource == "pods", let sub = e.objectRef?.subresource else { return false }
        return sub == "exec" || sub == "attach"
    }

    /// True if the rules look at this event (a final stage, or any stage of a long-running
    /// request); false for early stages of ordinary requests and for unknown stages.
    public static func shouldEvaluate(_ e: AuditEvent) -> Bool {
        if evaluatedStages.contains(e.stage) { return true }
        return earlyStages.contains(e.stage) && isLongRunning(e)
    }
}
