// SPDX-License-Identifier: Apache-2.0
// rw.actor: human, workload or control-plane, from the identity and its groups; allow entries
// scoped by actor.

import XCTest
@testable import RuntimeWatchCore

final class AuditActorTests: XCTestCase {
    func testClassification() {
        let cases: [(AuditUser, AuditActor)] = [
            (AuditUser(username: "system:kube-controller-manager"), .controlPlane),
            (AuditUser(username: "system:node:ip-10-0-1-5", groups: ["system:nodes", "system:authenticated"]), .controlPlane),
            (AuditUser(username: "system:serviceaccount:kube-system:replicaset-controller",
                       groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system"]), .controlPlane),
            (AuditUser(username: "eks:node-manager"), .controlPlane),
            (AuditUser(username: "system:serviceaccount:shop:web", groups: ["system:serviceaccounts", "system:serviceaccounts:shop"]), .workload),
            (AuditUser(username: "oidc:alice@example.com", groups: ["ops", "system:authenticated"]), .human),
            (AuditUser(username: "kubernetes-admin", groups: ["system:masters", "system:authenticated"]), .human),
            (AuditUser(username: "arn:aws:sts::111122223333:assumed-role/admin/bob"), .human),
        ]
        for (user, expected) in cases { XCTAssertEqual(AuditActor(user: user, userAgent: nil), expected, user.username ?? "") }
    }

    func testTheUserAgentAndTheSystemUsers() {
        let kubectl = "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46"
        let web = AuditUser(username: "system:serviceaccount:shop:web", groups: ["system:serviceaccounts"])
        let node = AuditUser(username: "system:node:node-1", groups: ["system:nodes"])
        let cases: [(AuditUser, String?, AuditActor)] = [
            (web, "Go-http-client/1.1", .workload),
            (web, kubectl, .human),                                    // a person with a workload's token
            (node, kubectl, .human),                                   // a person with the kubelet's credential
            (node, "kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46", .controlPlane),
            (AuditUser(username: "system:kube-proxy"), "kube-proxy/v1.31.2", .controlPlane),
            (AuditUser(username: "system:kube-scheduler"), nil, .controlPlane),
            (AuditUser(username: "system:apiserver", groups: ["system:masters"]), "kube-apiserver/v1.31.2", .controlPlane),
            (AuditUser(username: "break-glass", groups: ["system:masters"]), "curl/8.5.0", .human),
            (AuditUser(username: "system:anonymous", groups: ["system:unauthenticated"]), "curl/8.5.0", .human),
        ]
        for (user, agent, expected) in cases {
            XCTAssertEqual(AuditActor(user: user, userAgent: agent), expected, "\(user.username ?? "") \(agent ?? "-")")
        }
    }

    func testEveryAuditAlertSaysItsActorAndEntriesCanBeScopedByActor() throws {
        func list(_ id: String, _ user: AuditUser) -> EventRecord {
            EventRecord(timestamp: 1_795_165_200_000_000_000, event: .k8sAudit(AuditEvent(
                level: "Metadata", auditID: id, stage: "ResponseComplete", requestURI: "/api/v1/namespaces/shop/secrets/db", verb: "get",
                user: user, sourceIPs: ["192.0.2.1"], objectRef: AuditObjectReference(resource: "secrets", namespace: "shop", name: "db"),
                responseStatus: AuditResponseStatus(code: 200))))
        }
        let profile = try ProfileLoader().load([ProfileSource(name: ProfileLoader.embeddedDefaultName, text: DefaultProfile.yaml),
                                                ProfileSource(name: "t.yaml", text: "version: 1\naudit:\n  allow:\n    - rules: [k8s-secret-read]\n      actors: [workload]\n      namespaces: [shop]\n")])
        let sink = InMemoryAlertSink()
        var e = Engine(configuration: EngineConfiguration(hostname: "h"), detectors: BuiltinDetectors.make(), profile: profile, sink: sink)
        e.process(list("w", AuditUser(username: "system:serviceaccount:shop:web", groups: ["system:serviceaccounts"])))
        e.process(list("h", AuditUser(username: "oidc:alice")))
        e.finish()
        XCTAssertEqual(sink.detections.map { $0.fields["ka.auditid"] }, [.string("h")], "the workload's read is expected, the human's is not")
        XCTAssertEqual(sink.detections.first?.fields["rw.actor"], .string("human"))
        assertProfileError("version: 1\naudit:\n  allow:\n    - actors: [robot]\n", line: 4, column: 16, contains: "unknown actor 'robot'")
    }
}
