// SPDX-License-Identifier: Apache-2.0
// ResponsePlan decisions: nothing without a `respond:`, what and where when configured, and every
// refusal (host process, the monitor's pid or container, protected namespace, no container, kill
// without a pid); and the response-taken alert built from an outcome.

import XCTest
@testable import RuntimeWatchCore

final class ResponsePlanTests: XCTestCase {
    let monitor = MonitorIdentity(pid: 4242, containerID: "feedfeedfeedfeedfeed")
    let freeze = ResponseSettings(rules: [Rule.serviceAccountTokenRead.id: RuleResponse(action: .freeze)])

    func alert(rule: Rule = .serviceAccountTokenRead, pid: Int64? = 100, container: String? = "0123456789ab",
               namespace: String? = "shop", pod: String? = "web-0") -> Alert {
        var fields: AlertFields = ["proc.pid": pid.map(FieldValue.int) ?? .null, "proc.name": .string("cat")]
        fields["container.id"] = container.map(FieldValue.string) ?? .null
        fields["k8s.ns.name"] = namespace.map(FieldValue.string) ?? .null
        fields["k8s.pod.name"] = pod.map(FieldValue.string) ?? .null
        fields["rw.incident.id"] = .string("inc-1")
        return Alert(timestamp: 1_000, ruleID: rule.id, ruleName: rule.name, priority: rule.priority, source: rule.source,
                     hostname: "node", output: "x", tags: rule.tags, fields: fields, advice: rule.advice)
    }

    func testNoRespondConfiguredPlansNothing() {
        XCTAssertNil(ResponsePlan.make(for: alert(), settings: ResponseSettings(), monitor: monitor))
        XCTAssertNil(ResponsePlan.make(for: alert(rule: .reverseShell), settings: freeze, monitor: monitor),
                     "only the rule that has a respond: acts")
        var summary = alert()
        summary.count = 3
        XCTAssertNil(ResponsePlan.make(for: summary, settings: freeze, monitor: monitor),
                     "a folded summary of repeats does not act again (the first occurrence did)")
    }

    func testFreezeTargetsTheAlertsContainer() throws {
        let plan = try XCTUnwrap(ResponsePlan.make(for: alert(), settings: freeze, monitor: monitor))
        XCTAssertEqual(plan.action, .freeze)
        XCTAssertFalse(plan.dryRun)
        XCTAssertNil(plan.refusal)
        XCTAssertEqual(plan.containerID, "0123456789ab")
        XCTAssertEqual(plan.pid, 100)
        XCTAssertEqual(plan.summary, "freeze container 0123456789ab (pod shop/web-0)")
    }

    func testDryRunIsCarriedInThePlan() throws {
        let settings = ResponseSettings(rules: [Rule.reverseShell.id: RuleResponse(action: .kill, dryRun: true)])
        let plan = try XCTUnwrap(ResponsePlan.make(for: alert(rule: .reverseShell), settings: settings, monitor: monitor))
        XCTAssertTrue(plan.dryRun)
        XCTAssertNil(plan.refusal)
        XCTAssertEqual(plan.summary, "kill pid 100 in container 0123456789ab (pod shop/web-0)")
    }

    func testHostProcessIsRefused() throws {
        let plan = try XCTUnwrap(ResponsePlan.make(for: alert(container: "host", namespace: nil, pod: nil), settings: freeze, monitor: monitor))
        XCTAssertEqual(plan.refusal, .hostProcess)
        XCTAssertNil(plan.containerID)
    }

    func testMonitorItselfIsRefusedByPidAndByContainer() throws {
        let byPid = try XCTUnwrap(ResponsePlan.make(for: alert(pid: 4242), settings: freeze, monitor: monitor))
        XCTAssertEqual(byPid.refusal, .monitor)
        let byContainer = try XCTUnwrap(ResponsePlan.make(for: alert(container: "feedfeedfeed"), settings: freeze, monitor: monitor))
        XCTAssertEqual(byContainer.refusal, .monitor, "the monitor's own DaemonSet container is never frozen")
        let onHost = MonitorIdentity(pid: 4242)
        XCTAssertNil(try XCTUnwrap(ResponsePlan.make(for: alert(), settings: freeze, monitor: onHost)).refusal)
    }

    func testKubeSystemRefusedUnlessNamed() throws {
        let refused = try XCTUnwrap(ResponsePlan.make(for: alert(namespace: "kube-system"), settings: freeze, monitor: monitor))
        XCTAssertEqual(refused.refusal, .protectedNamespace)
        var allowing = freeze
        allowing.namespacesAllowed = ["kube-system"]
        XCTAssertNil(try XCTUnwrap(ResponsePlan.make(for: alert(namespace: "kube-system"), settings: allowing, monitor: monitor)).refusal)
    }

    func testNoContainerAndKillWithoutPidAreRefused() throws {
        XCTAssertEqual(try XCTUnwrap(ResponsePlan.make(for: alert(container: nil), settings: freeze, monitor: monitor)).refusal, .noContainer)
        let kill = ResponseSettings(rules: [Rule.serviceAccountTokenRead.id: RuleResponse(action: .kill)])
        XCTAssertEqual(try XCTUnwrap(ResponsePlan.make(for: alert(pid: nil), settings: kill, monitor: monitor)).refusal, .noProcess)
        XCTAssertNil(try XCTUnwrap(ResponsePlan.make(for: alert(pid: nil), settings: freeze, monitor: monitor)).refusal,
                     "a freeze needs only the container")
    }

    func testResponseTakenAlertSaysWhatWhereAndResult() throws {
        let trigger = alert()
        let plan = try XCTUnwrap(ResponsePlan.make(for: trigger, settings: freeze, monitor: monitor))
        let done = ResponseAlertBuilder.alert(plan: plan, outcome: .done(detail: "wrote /sys/fs/cgroup/x/cgroup.freeze"), trigger: trigger, now: 2_000)
        XCTAssertEqual(done.ruleID, "response-taken")
        XCTAssertEqual(done.fields["rw.response.action"], .string("freeze"))
        XCTAssertEqual(done.fields["rw.response.result"], .string("done"))
        XCTAssertEqual(done.fields["rw.response.dry_run"], .string("false"))
        XCTAssertEqual(done.fields["container.id"], .string("0123456789ab"))
        XCTAssertEqual(done.fields["rw.incident.id"], .string("inc-1"), "joins the trigger's incident")
        XCTAssertEqual(done.fields["rw.response.trigger_time"], .int(1_000))
        XCTAssertTrue(done.output.contains("freeze container 0123456789ab (pod shop/web-0): wrote /sys/fs/cgroup/x/cgroup.freeze"), done.output)

        var dry = plan
        dry.dryRun = true
        let dryAlert = ResponseAlertBuilder.alert(plan: dry, outcome: .dryRun, trigger: trigger, now: 2_000)
        XCTAssertEqual(dryAlert.fields["rw.response.dry_run"], .string("true"))
        XCTAssertEqual(dryAlert.fields["rw.response.result"], .string("dry_run"))
        XCTAssertTrue(dryAlert.output.contains("would freeze"), dryAlert.output)

        let failed = ResponseAlertBuilder.alert(plan: plan, outcome: .failed(error: "write x: Permission denied (errno 13)"), trigger: trigger, now: 2_000)
        XCTAssertEqual(failed.fields["rw.response.detail"], .string("failed: write x: Permission denied (errno 13)"))
    }
}
