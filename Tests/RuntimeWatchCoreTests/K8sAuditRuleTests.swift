// SPDX-License-Identifier: Apache-2.0
// The k8s_audit rules piece by piece: pod-spec risks, stage handling and dedupe, allowlists and
// their schema errors, denied attempts, and linking to pods the runtime side knows.

import Foundation
@testable import RuntimeWatchCore
import XCTest

final class K8sAuditRuleTests: XCTestCase {
    let t0: UInt64 = 1_795_165_200_000_000_000

    func audit(_ id: String, stage: String = "ResponseComplete", verb: String, uri: String, user: String,
               groups: [String] = [], resource: String, sub: String? = nil, ns: String? = nil, name: String? = nil,
               ips: [String] = ["192.0.2.10"], code: Int = 200, decision: String = "allow", object: AuditRequestObject? = nil) -> AuditEvent {
        AuditEvent(level: object == nil ? "Metadata" : "RequestResponse", auditID: id, stage: stage, requestURI: uri, verb: verb,
                   user: AuditUser(username: user, groups: groups), sourceIPs: ips, userAgent: "kubectl/v1.31.2",
                   objectRef: AuditObjectReference(resource: resource, subresource: sub, namespace: ns, name: name),
                   responseStatus: stage == "RequestReceived" ? nil : AuditResponseStatus(code: code),
                   requestObject: object, annotations: [AuditEvent.decisionAnnotation: decision])
    }

    func engine(_ profileYAML: String? = nil, sink: InMemoryAlertSink) throws -> Engine {
        var sources = [ProfileSource(name: ProfileLoader.embeddedDefaultName, text: DefaultProfile.yaml)]
        if let profileYAML { sources.append(ProfileSource(name: "test.yaml", text: profileYAML)) }
        return Engine(configuration: EngineConfiguration(hostname: "h"), detectors: BuiltinDetectors.make(),
                      profile: try ProfileLoader().load(sources), sink: sink)
    }

    func testPodSpecRisks() {
        let spec = AuditPodSpec(hostPID: false, hostNetwork: true, hostIPC: true,
                                containers: [AuditContainer(name: "a", securityContext: AuditSecurityContext(capabilities: AuditCapabilities(add: ["cap_sys_ptrace", "CHOWN"])))],
                                initContainers: [AuditContainer(name: "init", securityContext: AuditSecurityContext(privileged: true))],
                                volumes: [AuditVolume(name: "s", hostPath: AuditHostPath(path: "//var/run/docker.sock/")),
                                          AuditVolume(name: "ok", hostPath: AuditHostPath(path: "/var/log")),
                                          AuditVolume(name: "empty")])
        let risk = PodSpecRisk.analyse(spec)
        XCTAssertEqual(risk.findings, ["privileged container init", "hostNetwork", "hostIPC", "hostPath //var/run/docker.sock/",
                                       "capability SYS_PTRACE (container a)"])
        XCTAssertTrue(PodSpecRisk.analyse(AuditPodSpec(containers: [AuditContainer(name: "x")])).isEmpty)
        // CronJob: spec.jobTemplate.spec.template.spec.
        let cron = AuditRequestObject(kind: "CronJob", spec: AuditObjectSpec(jobTemplate: AuditJobTemplate(spec: AuditJobSpec(template: AuditPodTemplate(spec: spec)))))
        XCTAssertEqual(cron.podSpec, spec)
    }

    func testEarlyStagesSkippedExceptExecWhichAlertsOncePerAuditID() throws {
        let sink = InMemoryAlertSink()
        var e = try engine(sink: sink)
        let list = { (stage: String) in self.audit("L", stage: stage, verb: "list", uri: "/api/v1/secrets", user: "mallory", resource: "secrets") }
        e.process(EventRecord(timestamp: t0, event: .k8sAudit(list("RequestReceived"))))
        XCTAssertEqual(sink.detections.count, 0, "RequestReceived of an ordinary request is skipped")
        e.process(EventRecord(timestamp: t0 + 1, event: .k8sAudit(list("ResponseComplete"))))
        XCTAssertEqual(sink.detections.map(\.ruleID), ["k8s-secrets-listed-all-namespaces"])
        let exec = { (stage: String) in self.audit("X", stage: stage, verb: "create", uri: "/api/v1/namespaces/a/pods/p/exec?command=id",
                                                  user: "mallory", resource: "pods", sub: "exec", ns: "a", name: "p") }
        for (i, stage) in ["RequestReceived", "ResponseStarted", "ResponseComplete"].enumerated() {
            e.process(EventRecord(timestamp: t0 + 10 + UInt64(i), event: .k8sAudit(exec(stage))))
        }
        XCTAssertEqual(sink.detections.map(\.ruleID), ["k8s-secrets-listed-all-namespaces", "k8s-pod-exec"])
        XCTAssertEqual(sink.detections.last?.fields["ka.stage"], .string("ResponseStarted"), "reported once decided")
        XCTAssertEqual(e.stats.eventsByKind["k8s_audit"], 5)
    }

    /// An exec the authorizer denied: its RequestReceived raises nothing yet; its ResponseStarted
    /// (403, forbid) raises one lowered "Attempt (denied)" alert carrying the code.
    func testDeniedExecIsReportedOnceAsAnAttemptWithItsCode() throws {
        let sink = InMemoryAlertSink()
        var e = try engine(sink: sink)
        var exec = audit("D", stage: "RequestReceived", verb: "create", uri: "/api/v1/namespaces/a/pods/p/exec?command=sh",
                         user: "mallory", resource: "pods", sub: "exec", ns: "a", name: "p")
        e.process(EventRecord(timestamp: t0, event: .k8sAudit(exec)))
        XCTAssertEqual(sink.detections.count, 0, "not decided yet")
        exec.stage = "ResponseStarted"
        exec.responseStatus = AuditResponseStatus(code: 403)
        exec.annotations = ["authorization.k8s.io/decision": "forbid"]
        e.process(EventRecord(timestamp: t0 + 1_000_000, event: .k8sAudit(exec)))
        exec.stage = "ResponseComplete"
        e.process(EventRecord(timestamp: t0 + 2_000_000, event: .k8sAudit(exec)))
        e.finish()
        XCTAssertEqual(sink.detections.count, 1)
        let alert = try XCTUnwrap(sink.detections.first)
        XCTAssertTrue(alert.output.hasPrefix("Attempt (denied): Exec into pod"), alert.output)
        XCTAssertEqual(alert.fields["ka.response.code"], .int(403))
        XCTAssertEqual(alert.fields["ka.auth.decision"], .string("forbid"))
        XCTAssertNil(alert.fields["rw.decision"])
    }

    /// Live: audit events may be old (a log read from its start) while the node's are current. The
    /// wait runs on the audit events' own clock, and on heartbeats only once they span it: a
    /// heartbeat between an old RequestReceived and its ResponseStarted changes nothing, and
    /// current process events do not expire it; heartbeats 10 s apart after a quiet source do.
    func testLiveHeartbeatsAndCurrentEventsDoNotDecideForAnOldExec() throws {
        let sink = InMemoryAlertSink()
        var e = try engine(sink: sink)
        let now = t0 + 14 * 86_400_000_000_000   // the node's clock: 14 days after the audit events
        var exec = audit("C", stage: "RequestReceived", verb: "create", uri: "/api/v1/namespaces/a/pods/p/exec?command=id",
                         user: "mallory", resource: "pods", sub: "exec", ns: "a", name: "p")
        e.process(EventRecord(timestamp: t0, event: .k8sAudit(exec)))
        e.tick(at: now)
        e.process(EventRecord(timestamp: now + 1, event: .exec(ProcessInfo(pid: ProcessID(700), ppid: ProcessID(1), exe: "/bin/true", argv: ["true"]))))
        XCTAssertEqual(sink.detections.count, 0, "neither a heartbeat nor a current event decides for it")
        exec.stage = "ResponseStarted"
        exec.responseStatus = AuditResponseStatus(code: 101)
        e.process(EventRecord(timestamp: t0 + 1_000_000, event: .k8sAudit(exec)))
        XCTAssertEqual(sink.detections.map { $0.fields["ka.stage"] }, [.string("ResponseStarted")])

        let lone = audit("Q", stage: "RequestReceived", verb: "create", uri: "/api/v1/namespaces/a/pods/q/exec?command=id",
                         user: "mallory", resource: "pods", sub: "exec", ns: "a", name: "q")
        e.process(EventRecord(timestamp: t0 + 2_000_000, event: .k8sAudit(lone)))
        e.tick(at: now + 1_000_000_000)
        e.tick(at: now + 10_000_000_000)
        XCTAssertEqual(sink.detections.count, 1, "9 s of heartbeats: still waiting")
        e.tick(at: now + 11_000_000_000)
        XCTAssertEqual(sink.detections.count, 2, "10 s of heartbeats after it was held: the source went quiet")
        XCTAssertEqual(sink.detections.last?.fields["rw.decision"], .string("undecided"))
    }

    /// Only RequestReceived ever arrives: after the wait (event time) one alert marked undecided;
    /// at the end of a replay, the same. kubectl 1.30+'s WebSocket exec is verb `get`.
    func testExecWhoseDecisionNeverArrivesIsReportedUndecidedAfterTheWait() throws {
        for viaFinish in [false, true] {
            let sink = InMemoryAlertSink()
            var e = try engine(sink: sink)
            let exec = audit("U", stage: "RequestReceived", verb: "get", uri: "/api/v1/namespaces/a/pods/p/exec?command=id",
                             user: "mallory", resource: "pods", sub: "exec", ns: "a", name: "p")
            e.process(EventRecord(timestamp: t0, event: .k8sAudit(exec)))
            e.process(EventRecord(timestamp: t0 + 9_000_000_000, event: .k8sAudit(audit("O", stage: "ResponseComplete", verb: "get",
                                                                                           uri: "/api/v1/namespaces", user: "bob", resource: "namespaces"))))
            XCTAssertEqual(sink.detections.count, 0, "still waiting at 9 s")
            if viaFinish {
                e.finish()
            } else {
                e.process(EventRecord(timestamp: t0 + 10_000_000_000, event: .k8sAudit(audit("O2", stage: "ResponseComplete", verb: "get",
                                                                                              uri: "/api/v1/namespaces", user: "bob", resource: "namespaces"))))
            }
            XCTAssertEqual(sink.detections.map(\.ruleID), ["k8s-pod-exec"], viaFinish ? "at the end of input" : "after 10 s")
            let alert = try XCTUnwrap(sink.detections.first)
            XCTAssertTrue(alert.output.hasPrefix("Undecided: Exec into pod"), alert.output)
            XCTAssertEqual(alert.fields["rw.decision"], .string("undecided"))
            XCTAssertEqual(alert.fields["ka.stage"], .string("RequestReceived"))
            // Its decided stage arriving later does not alert a second time.
            var late = exec
            late.stage = "ResponseStarted"
            e.process(EventRecord(timestamp: t0 + 20_000_000_000, event: .k8sAudit(late)))
            XCTAssertEqual(sink.detections.count, 1)
        }
    }

    func testAllowlistByUserGroupAgentAndNamespace() throws {
        let yaml = """
        version: 1
        audit:
          allow:
            - rules: [k8s-secret-read]
              users: ["system:serviceaccount:monitoring:*"]
              namespaces: [monitoring]
              reason: prometheus
            - groups: ["ops:*"]
              user_agents: ["argocd/*"]
        """
        let sink = InMemoryAlertSink()
        var e = try engine(yaml, sink: sink)
        func get(_ id: String, user: String, ns: String, groups: [String] = []) -> EventRecord {
            EventRecord(timestamp: t0, event: .k8sAudit(audit(id, verb: "get", uri: "/api/v1/namespaces/\(ns)/secrets/s", user: user,
                                                              groups: groups, resource: "secrets", ns: ns, name: "s")))
        }
        e.process(get("1", user: "system:serviceaccount:monitoring:prometheus", ns: "monitoring"))   // allowed
        e.process(get("2", user: "system:serviceaccount:monitoring:prometheus", ns: "shop"))         // other namespace
        e.process(get("3", user: "bob", ns: "shop", groups: ["ops:admins"]))                          // group ok, agent is kubectl
        e.process(get("4", user: "system:node:n1", ns: "shop", groups: ["system:nodes"]))            // default: kubelet
        XCTAssertEqual(sink.detections.map { $0.fields["ka.auditid"] }, [.string("2"), .string("3")])
    }

    func testAuditSectionErrorsNameFileLineAndColumn() {
        let cases: [(String, String)] = [
            ("version: 1\naudit:\n  allow:\n    - rules: [reverse-shell]\n      users: [x]\n", "test.yaml:4:15: rule 'reverse-shell' is not a k8s_audit rule"),
            ("version: 1\naudit:\n  allow:\n    - rules: [k8s-secret-read]\n      reason: everyone\n", "test.yaml:4:7: audit allow entry matches every request"),
            ("version: 1\naudit:\n  alow: []\n", "test.yaml:3:3: unknown key 'alow' in 'audit'; did you mean 'allow'?"),
            ("version: 1\naudit:\n  allow:\n    - users: {a: b}\n", "test.yaml:4:14: 'users' must be a list of strings"),
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try ProfileLoader().parse(yaml, file: "test.yaml")) { error in
                XCTAssertTrue("\(error)".hasPrefix(expected), "got: \(error)\nwant prefix: \(expected)")
            }
        }
    }

    func testDeniedRequestsAreLowerPriorityAttempts() throws {
        let sink = InMemoryAlertSink()
        var e = try engine(sink: sink)
        e.process(EventRecord(timestamp: t0, event: .k8sAudit(audit("D", verb: "create", uri: "/api/v1/namespaces/a/serviceaccounts/x/token",
                                                                   user: "mallory", resource: "serviceaccounts", sub: "token", ns: "a", name: "x",
                                                                   code: 403, decision: "forbid"))))
        XCTAssertEqual(sink.detections.map(\.priority), [.informational])
        XCTAssertTrue(sink.detections[0].output.hasPrefix("Attempt (denied): Service account token requested"), sink.detections[0].output)
    }

    func testLinksToThePodBySourceIPThenByServiceAccount() throws {
        let sink = InMemoryAlertSink()
        var e = try engine(sink: sink)
        let web = ContainerID(String(repeating: "a", count: 64)), db = ContainerID(String(repeating: "b", count: 64))
        e.process(EventRecord(timestamp: t0, event: .container(ContainerInfo(id: web, runtime: "containerd", podUID: "u1", podName: "web-0",
                                                                              namespace: "shop", containerName: "web", image: "shop/web:1"))))
        e.process(EventRecord(timestamp: t0, event: .container(ContainerInfo(id: db, runtime: "containerd", podUID: "u2", podName: "db-0",
                                                                              namespace: "data", containerName: "db", image: "postgres:16"))))
        let cgroup = "/kubepods/besteffort/podu1/" + web.rawValue
        e.process(EventRecord(timestamp: t0 + 1, event: .exec(ProcessInfo(pid: ProcessID(500), ppid: ProcessID(1), exe: "/bin/sh", argv: ["sh"], cgroup: cgroup))))
        e.process(EventRecord(timestamp: t0 + 2, event: .connect(ConnectEvent(pid: ProcessID(500), proto: "tcp", localAddress: "10.244.1.23",
                                                                              localPort: 40000, remoteAddress: "10.96.0.1", remotePort: 443))))
        // A host process on the node's address makes that address ambiguous.
        e.process(EventRecord(timestamp: t0 + 2, event: .exec(ProcessInfo(pid: ProcessID(600), ppid: ProcessID(1), exe: "/usr/bin/kubelet", argv: ["kubelet"], cgroup: "/system.slice/kubelet.service"))))
        e.process(EventRecord(timestamp: t0 + 3, event: .connect(ConnectEvent(pid: ProcessID(600), proto: "tcp", localAddress: "172.18.0.2",
                                                                              localPort: 40001, remoteAddress: "10.96.0.1", remotePort: 443))))
        func list(_ id: String, user: String, ip: String) -> EventRecord {
            EventRecord(timestamp: t0 + 10, event: .k8sAudit(audit(id, verb: "list", uri: "/api/v1/secrets", user: user, resource: "secrets",
                                                                   ips: [ip], code: 403, decision: "forbid")))
        }
        e.process(list("ip", user: "system:serviceaccount:shop:web", ip: "10.244.1.23"))
        e.process(list("sa", user: "system:serviceaccount:data:db", ip: "192.0.2.99"))
        e.process(list("none", user: "mallory", ip: "172.18.0.2"))
        XCTAssertEqual(sink.detections.count, 3)
        XCTAssertEqual(sink.detections[0].fields["ka.correlation"], .string("source-ip"))
        XCTAssertEqual(sink.detections[0].fields["k8s.pod.name"], .string("web-0"))
        XCTAssertEqual(sink.detections[0].fields["container.id"], .string(web.short))
        XCTAssertTrue(sink.detections[0].output.contains("linked_pod=shop/web-0 via=source-ip"), sink.detections[0].output)
        XCTAssertEqual(sink.detections[1].fields["ka.correlation"], .string("service-account-namespace"))
        XCTAssertEqual(sink.detections[1].fields["k8s.ns.name"], .string("data"))
        XCTAssertEqual(sink.detections[2].fields["ka.correlation"], .null)
        XCTAssertEqual(sink.detections[2].fields["container.id"], .null)
    }

    func testRepeatsOfTheSameRequestFoldButOtherUsersDoNot() throws {
        let sink = InMemoryAlertSink()
        var e = try engine(sink: sink)
        func list(_ id: String, user: String, at offset: UInt64) -> EventRecord {
            EventRecord(timestamp: t0 + offset * 1_000_000_000,
                        event: .k8sAudit(audit(id, verb: "list", uri: "/api/v1/secrets?limit=500", user: user, resource: "secrets")))
        }
        for i in 0..<4 { e.process(list("m\(i)", user: "mallory", at: UInt64(i))) }
        e.process(list("e0", user: "eve", at: 5))
        e.finish()
        XCTAssertEqual(sink.detections.map { $0.fields["ka.user.name"] }, [.string("mallory"), .string("eve"), .string("mallory")])
        XCTAssertEqual(sink.detections.map(\.count), [1, 1, 3])
    }

    func testPrivilegedEphemeralContainerFromKubectlDebug() throws {
        let sink = InMemoryAlertSink()
        var e = try engine(sink: sink)
        let patch = #"{"spec":{"ephemeralContainers":[{"name":"debugger-x7","image":"busybox","securityContext":{"privileged":true},"stdin":true,"tty":true}]}}"#
        let object = try JSONDecoder().decode(AuditRequestObject.self, from: Data(patch.utf8))
        e.process(EventRecord(timestamp: t0, event: .k8sAudit(audit("dbg", verb: "patch", uri: "/api/v1/namespaces/shop/pods/web-0/ephemeralcontainers",
                                                                   user: "oidc:alice@example.com", resource: "pods", sub: "ephemeralcontainers",
                                                                   ns: "shop", name: "web-0", object: object))))
        XCTAssertEqual(sink.detections.map(\.ruleID), ["k8s-privileged-workload"])
        XCTAssertEqual(sink.detections.first?.fields["ka.req.pod.risks"], .list(["privileged container debugger-x7"]))
    }

    /// `kubectl patch` of a workload: a strategic-merge body and a JSON patch (`--type=json`, a list
    /// the API server logs as is) switching on what the rule looks for; a JSON patch touching only
    /// labels, and a list that is no JSON patch, decode and stay quiet.
    func testPatchesThatMakeAWorkloadPrivilegedAlertWhateverThePatchType() throws {
        let bodies: [(String, [String]?)] = [
            (#"{"spec":{"template":{"spec":{"containers":[{"name":"web","securityContext":{"privileged":true}}]}}}}"#,
             ["privileged container web"]),
            (#"[{"op":"test","path":"/spec/replicas","value":2},{"op":"add","path":"/spec/template/spec/hostPID","value":true}]"#,
             ["hostPID"]),
            (#"[{"op":"add","path":"/spec/template/spec/volumes/-","value":{"name":"host","hostPath":{"path":"/"}}}]"#,
             ["hostPath /"]),
            (#"[{"op":"replace","path":"/spec/template/spec/containers/0/securityContext/capabilities/add","value":["SYS_ADMIN"]}]"#,
             ["capability SYS_ADMIN"]),
            (#"[{"op":"replace","path":"/metadata/labels/tier","value":"web"},{"op":"remove","path":"/spec/template/spec/hostPID"}]"#, nil),
            (#"["not", "a", "patch"]"#, nil),
        ]
        for (i, (body, risks)) in bodies.enumerated() {
            let object = try JSONDecoder().decode(AuditRequestObject.self, from: Data(body.utf8))
            let sink = InMemoryAlertSink()
            var e = try engine(sink: sink)
            e.process(EventRecord(timestamp: t0, event: .k8sAudit(audit("p\(i)", verb: "patch", uri: "/apis/apps/v1/namespaces/shop/deployments/web",
                                                                       user: "oidc:mallory@example.com", resource: "deployments",
                                                                       ns: "shop", name: "web", object: object))))
            guard let risks else {
                XCTAssertEqual(sink.detections.map(\.ruleID), [], body)
                continue
            }
            XCTAssertEqual(sink.detections.map(\.ruleID), ["k8s-privileged-workload"], body)
            guard case .list(let found)? = sink.detections.first?.fields["ka.req.pod.risks"] else { XCTFail(body); continue }
            XCTAssertTrue(found.count == risks.count && zip(found, risks).allSatisfy { $0.hasPrefix($1) }, "\(body): \(found)")
            XCTAssertTrue(sink.detections.first?.output.hasPrefix("Privileged workload patched") == true, sink.detections.first?.output ?? "")
        }
    }
}
