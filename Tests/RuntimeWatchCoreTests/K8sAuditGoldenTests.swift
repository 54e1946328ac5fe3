// SPDX-License-Identifier: Apache-2.0
// Golden test over API-server-shaped audit logs: the attack scenarios give exactly the reviewed
// alerts (rule, priority, key ka.* fields, in order) and three hours of benign control-plane,
// kubelet and user traffic gives none. Fixtures: Fixtures/k8s-audit/README.md.

import Foundation
import RuntimeWatchCore
import XCTest

final class K8sAuditGoldenTests: XCTestCase {
    static func fixture(_ name: String) throws -> URL {
        let dir = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return dir.appendingPathComponent("k8s-audit").appendingPathComponent(name)
    }

    /// Default profile + the fixture tuning, as `--profile Fixtures/k8s-audit/profile.yaml` would load it.
    static func profile() throws -> Profile {
        let text = try String(contentsOf: try fixture("profile.yaml"), encoding: .utf8)
        let loader = ProfileLoader()
        return try loader.load([ProfileSource(name: ProfileLoader.embeddedDefaultName, text: DefaultProfile.yaml),
                                ProfileSource(name: "profile.yaml", text: text)])
    }

    /// Runs an audit log through the real engine and built-in detectors.
    static func run(_ name: String, profile: Profile) throws -> (alerts: [Alert], events: Int) {
        let bytes = Array(try Data(contentsOf: try fixture(name)))
        let decoded = AuditEventDecoder.decodeLines(bytes)
        XCTAssertEqual(decoded.issues, [], "\(name) decodes cleanly")
        let sink = InMemoryAlertSink()
        var engine = Engine(configuration: EngineConfiguration(hostname: "node-1"), detectors: BuiltinDetectors.make(),
                            profile: profile, sink: sink)
        for (i, e) in decoded.events.enumerated() { engine.process(try AuditEventDecoder.record(e, position: "event \(i)")) }
        engine.finish()
        return (sink.alerts, decoded.events.count)
    }

    struct Expected {
        var rule: String
        var priority: Priority
        var fields: [String: FieldValue]
        var outputPrefix: String
    }

    func testAttackScenariosGiveExactlyTheExpectedAlerts() throws {
        let (alerts, events) = try Self.run("attacks.jsonl", profile: try Self.profile())
        XCTAssertEqual(events, 19)
        let expected: [Expected] = [
            Expected(rule: "k8s-secrets-listed-all-namespaces", priority: .critical, fields: [
                "ka.user.name": "kubernetes-admin", "ka.verb": "list", "ka.uri": "/api/v1/secrets?limit=500",
                "ka.target.resource": "secrets", "ka.target.namespace": .null, "ka.stage": "ResponseComplete",
                "ka.response.code": .int(200), "ka.auth.decision": "allow", "ka.sourceips": .list(["192.0.2.10"]),
                "ka.user.groups": .list(["kubeadm:cluster-admins", "system:authenticated"]),
                "ka.useragent": "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46"],
                     outputPrefix: "Secrets listed in all namespaces (user=kubernetes-admin verb=list"),
            Expected(rule: "k8s-secret-read", priority: .warning, fields: [
                "ka.user.name": "oidc:alice@example.com", "ka.verb": "get", "ka.target.namespace": "shop",
                "ka.target.name": "db-password", "ka.target.resource": "secrets"],
                     outputPrefix: "Secret read (user=oidc:alice@example.com secret=db-password ns=shop"),
            Expected(rule: "k8s-pod-exec", priority: .critical, fields: [
                "ka.target.namespace": "prod", "ka.target.name": "web-0", "ka.target.subresource": "exec",
                "ka.exec.command": "/bin/bash", "ka.uri.param[command]": "/bin/bash", "ka.exec.container": "web",
                "ka.stage": "ResponseStarted", "ka.target.production": "true", "ka.response.code": .int(101), "ka.auth.decision": "allow"],
                     outputPrefix: "Exec into production pod (user=oidc:alice@example.com pod=web-0 ns=prod container=web command=/bin/bash"),
            Expected(rule: "k8s-pod-exec", priority: .warning, fields: [
                "ka.target.namespace": "staging", "ka.exec.command": "sh -c cat /etc/passwd", "ka.exec.container": "api",
                "ka.target.production": "false"],
                     outputPrefix: "Exec into pod (user=oidc:alice@example.com pod=api-5c9f ns=staging container=api command=sh -c cat /etc/passwd"),
            Expected(rule: "k8s-privileged-workload", priority: .critical, fields: [
                "ka.target.resource": "pods", "ka.target.name": "debugger", "ka.verb": "create",
                "ka.req.pod.risks": .list(["privileged container shell", "hostPID", "hostPath /"]),
                "ka.req.pod.host_pid": "true", "ka.req.pod.containers.privileged": .list(["shell"])],
                     outputPrefix: "Privileged workload created (user=oidc:alice@example.com pods=default/debugger risks=privileged container shell,hostPID,hostPath /"),
            Expected(rule: "k8s-privileged-workload", priority: .critical, fields: [
                "ka.user.name": "arn:aws:sts::111122223333:assumed-role/EKSAdmin/mallory",
                "ka.user.extra.arn": "arn:aws:sts::111122223333:assumed-role/EKSAdmin/mallory",
                "ka.user.extra.canonicalArn": "arn:aws:iam::111122223333:role/EKSAdmin",
                "ka.user.extra.sessionName": "mallory", "ka.target.resource": "daemonsets",
                "ka.req.pod.risks": .list(["hostPath /run/containerd/containerd.sock", "capability SYS_ADMIN (container agent)"]),
                "ka.sourceips": .list(["203.0.113.77"])],
                     outputPrefix: "Privileged workload created (user=arn:aws:sts::111122223333:assumed-role/EKSAdmin/mallory daemonsets=default/node-agent"),
            Expected(rule: "k8s-token-request", priority: .warning, fields: [
                "ka.target.resource": "serviceaccounts", "ka.target.subresource": "token", "ka.target.name": "default",
                "ka.target.namespace": "shop", "ka.response.code": .int(201)],
                     outputPrefix: "Service account token requested (user=oidc:alice@example.com serviceaccount=shop/default"),
            Expected(rule: "k8s-secrets-listed-all-namespaces", priority: .warning, fields: [
                "ka.user.name": "system:serviceaccount:shop:web", "ka.auth.decision": "forbid", "ka.response.code": .int(403),
                "ka.sourceips": .list(["10.244.1.23"]), "ka.correlation": .null, "container.id": .null],
                     outputPrefix: "Attempt (denied): Secrets listed in all namespaces (user=system:serviceaccount:shop:web"),
        ]
        XCTAssertEqual(alerts.map(\.ruleID), expected.map(\.rule), "alert rules in order")
        for (i, (a, e)) in zip(alerts, expected).enumerated() {
            XCTAssertEqual(a.priority, e.priority, "alert #\(i) \(a.ruleID) priority")
            XCTAssertEqual(a.source, .k8sAudit, "alert #\(i) source")
            XCTAssertTrue(a.output.hasPrefix(e.outputPrefix), "alert #\(i) output: \(a.output)")
            for (k, v) in e.fields { XCTAssertEqual(a.fields[k], v, "alert #\(i) \(a.ruleID) \(k)") }
            // Falco's always-present fields: every ka.* the issue lists, and the standard shape.
            for key in ["ka.auditid", "ka.user.name", "ka.user.groups", "ka.verb", "ka.uri", "ka.useragent", "ka.sourceips",
                        "ka.target.resource", "ka.target.subresource", "ka.target.namespace", "ka.target.name",
                        "ka.response.code", "ka.auth.decision", "evt.time", "proc.pid", "container.id", "k8s.pod.name", "k8s.ns.name"] {
                XCTAssertNotNil(a.fields[key], "alert #\(i) lacks \(key)")
            }
            XCTAssertEqual(a.fields["proc.pid"], .null, "an API request has no process")
        }
        // The exec alert fires once decided (ResponseStarted, 0.8 ms after the request), not at the
        // session's end ten minutes later.
        XCTAssertEqual(alerts[2].timestamp, RFC3339.parse("2026-11-20T09:00:40.300800Z"))
    }

    func testWithoutTheFixtureTuningProductionAndSecretReadersChange() throws {
        let (alerts, _) = try Self.run("attacks.jsonl", profile: try ProfileLoader().embeddedDefault())
        let exec = alerts.filter { $0.ruleID == "k8s-pod-exec" }
        XCTAssertEqual(exec.map(\.priority), [.warning, .warning], "no production namespaces in the default profile")
        let benign = try Self.run("benign.jsonl", profile: try ProfileLoader().embeddedDefault()).alerts
        XCTAssertEqual(Set(benign.map(\.ruleID)), ["k8s-secret-read"], "only Prometheus' reads, which the fixture profile allows")
        XCTAssertTrue(benign.allSatisfy { $0.fields["ka.user.name"] == "system:serviceaccount:monitoring:prometheus" })
    }

    func testHoursOfBenignTrafficGiveNoAlert() throws {
        let (alerts, events) = try Self.run("benign.jsonl", profile: try Self.profile())
        XCTAssertGreaterThan(events, 1000)
        XCTAssertEqual(alerts.map { "\($0.ruleID): \($0.output)" }, [])
    }

    /// workloads.jsonl: every risky variant in one namespace with one image, created directly and by
    /// each controller. One alert per workload a person wrote (the Deployment's ReplicaSet and pods
    /// and every controller's pod folded into it); the CronJob logged without its body alerts on its
    /// pod, naming the Job and the person who wrote the CronJob.
    func testEveryRiskyVariantAlertsOnceWhetherCreatedDirectlyOrByAController() throws {
        let (alerts, events) = try Self.run("workloads.jsonl", profile: try Self.profile())
        XCTAssertEqual(events, 68)
        let alice = "oidc:alice@example.com"
        var expected: [[String]] = []
        for (variant, risk) in [("privileged", "privileged container tool"), ("hostpid", "hostPID"), ("hostnetwork", "hostNetwork"),
                                ("hostipc", "hostIPC"), ("hostpath", "hostPath /")] {
            for owner in ["Pod/\(variant)-pod", "Deployment/\(variant)-deploy", "DaemonSet/\(variant)-daemonset",
                          "StatefulSet/\(variant)-statefulset", "ReplicaSet/\(variant)-replicaset", "Job/\(variant)-job"] {
                expected.append([owner, alice, "-", risk])
            }
        }
        expected.append(["Job/nightly-29400000", "system:serviceaccount:kube-system:job-controller", alice, "privileged container tool"])
        func text(_ v: FieldValue?) -> String { if case .string(let s)? = v { return s }; return "-" }
        XCTAssertEqual(alerts.map { a -> [String] in
            guard case .list(let risks)? = a.fields["ka.req.pod.risks"] else { return [] }
            return [text(a.fields["ka.req.owner"]), text(a.fields["ka.user.name"]), text(a.fields["ka.req.owner.last_writer"]),
                    risks.joined(separator: ",")]
        }, expected)
        XCTAssertTrue(alerts.allSatisfy { $0.ruleID == "k8s-privileged-workload" })
        XCTAssertEqual(alerts.last?.fields["rw.actor"], "control-plane")
        XCTAssertEqual(alerts.first?.fields["rw.actor"], "human")
    }
}

extension FieldValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}
