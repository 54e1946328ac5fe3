// SPDX-License-Identifier: Apache-2.0
// Stolen service-account token use (K8sTokenUseDetector): requests authenticated with a pod's bound
// token (the pod named in user.extra) are raised when they come from another pod's address on this
// node, or, for a pod of this node, from an address that is not its own. Seed-shaped audit events:
// the user.extra keys are the ones the API server's bound-token authenticator sets
// (authentication.kubernetes.io/pod-name, pod-uid, node-name).

import XCTest
@testable import RuntimeWatchCore

final class K8sTokenUseTests: XCTestCase {
    let t0: UInt64 = 1_795_165_200_000_000_000
    let web = ContainerID(String(repeating: "a", count: 64)), db = ContainerID(String(repeating: "b", count: 64))

    /// The embedded default profile and every built-in detector; pods web-0 (uid-web, 10.244.1.23)
    /// and db-0 (uid-db, 10.244.1.24) run here, their addresses learned from their connects.
    private func engine(sink: InMemoryAlertSink) throws -> Engine {
        var e = Engine(configuration: EngineConfiguration(hostname: "node-1"), detectors: BuiltinDetectors.make(),
                       profile: try ProfileLoader().embeddedDefault(), sink: sink)
        for (i, (id, uid, name, address)) in [(web, "uid-web", "web-0", "10.244.1.23"), (db, "uid-db", "db-0", "10.244.1.24")].enumerated() {
            let pid = ProcessID(Int32(500 + i))
            e.process(EventRecord(timestamp: t0, event: .container(ContainerInfo(id: id, runtime: "containerd", podUID: uid, podName: name,
                                                                                  namespace: "shop", containerName: name, image: "shop/\(name):1"))))
            e.process(EventRecord(timestamp: t0 + 1, event: .exec(ProcessInfo(pid: pid, ppid: ProcessID(1), exe: "/app", argv: ["/app"],
                                                                              cgroup: "/kubepods/besteffort/pod\(uid)/\(id.rawValue)"))))
            e.process(EventRecord(timestamp: t0 + 2, event: .connect(ConnectEvent(pid: pid, proto: "tcp", localAddress: address, localPort: 40000,
                                                                                  remoteAddress: "10.96.0.1", remotePort: 443))))
        }
        return e
    }

    /// A `get` of a configmap (no other rule fires on it) made with the token of pod `pod`.
    private func request(_ id: String, tokenOf pod: (name: String, uid: String), from ip: String,
                         stage: String = "ResponseComplete", at offset: UInt64 = 10) -> EventRecord {
        let user = AuditUser(username: "system:serviceaccount:shop:default", groups: ["system:serviceaccounts", "system:serviceaccounts:shop"],
                             extra: [K8sTokenUseDetector.podNameExtra: [pod.name], K8sTokenUseDetector.podUIDExtra: [pod.uid],
                                     K8sTokenUseDetector.nodeNameExtra: ["node-1"]])
        return EventRecord(timestamp: t0 + offset * 1_000_000_000, event: .k8sAudit(AuditEvent(
            level: "Metadata", auditID: id, stage: stage, requestURI: "/api/v1/namespaces/shop/configmaps/app", verb: "get", user: user,
            sourceIPs: [ip], objectRef: AuditObjectReference(resource: "configmaps", namespace: "shop", name: "app"),
            responseStatus: AuditResponseStatus(code: 200))))
    }

    private func run(_ records: [EventRecord]) throws -> [Alert] {
        let sink = InMemoryAlertSink()
        var e = try engine(sink: sink)
        for r in records { e.process(r) }
        e.finish()
        return sink.detections
    }

    func testPodAsTokenUsedFromPodBsAddressAlertsAndNamesBothPods() throws {
        let alerts = try run([request("r1", tokenOf: ("web-0", "uid-web"), from: "10.244.1.24")])
        XCTAssertEqual(alerts.map(\.ruleID), ["k8s-token-used-elsewhere"])
        let a = try XCTUnwrap(alerts.first)
        XCTAssertEqual(a.fields["ka.token.pod.name"], .string("web-0"))
        XCTAssertEqual(a.fields["ka.token.pod.uid"], .string("uid-web"))
        XCTAssertEqual(a.fields["ka.source.pod"], .string("shop/db-0"))
        XCTAssertEqual(a.fields["k8s.pod.name"], .string("db-0"), "linked to the pod that used the token")
        XCTAssertEqual(a.fields["ka.token.pod.on_this_node"], .string("true"))
        XCTAssertEqual(a.priority, .critical)
        XCTAssertTrue(a.output.hasPrefix("Service-account token of pod web-0 used from 10.244.1.24, the address of pod shop/db-0 ("), a.output)
    }

    func testAPodsOwnTokenFromItsOwnAddressIsQuiet() throws {
        XCTAssertEqual(try run([request("r1", tokenOf: ("web-0", "uid-web"), from: "10.244.1.23")]), [])
    }

    func testATokenOfAPodHereUsedFromAnUnknownAddressAlerts() throws {
        let alerts = try run([request("r1", tokenOf: ("web-0", "uid-web"), from: "198.51.100.77")])
        XCTAssertEqual(alerts.map(\.ruleID), ["k8s-token-used-elsewhere"])
        XCTAssertEqual(alerts.first?.fields["ka.source.pod"], .null)
        XCTAssertEqual(alerts.first?.fields["k8s.pod.name"], .string("web-0"), "no pod behind the address: joins the token's pod")
        XCTAssertTrue(alerts.first?.output.contains("not the pod's own address") == true)
    }

    func testATokenOfAPodElsewhereIsJudgedOnlyFromAPodAddressOfThisNode() throws {
        let elsewhere = (name: "api-7", uid: "uid-api")
        XCTAssertEqual(try run([request("r1", tokenOf: elsewhere, from: "10.244.9.9")]), [], "that node's monitor knows the pod's address")
        let alerts = try run([request("r2", tokenOf: elsewhere, from: "10.244.1.23")])
        XCTAssertEqual(alerts.map(\.ruleID), ["k8s-token-used-elsewhere"])
        XCTAssertEqual(alerts.first?.fields["ka.token.pod.on_this_node"], .string("false"))
        XCTAssertEqual(alerts.first?.fields["ka.source.pod"], .string("shop/web-0"))
    }

    func testEveryStageOfOneRequestIsOneAlert() throws {
        let alerts = try run([request("r1", tokenOf: ("web-0", "uid-web"), from: "10.244.1.24", stage: "RequestReceived"),
                              request("r1", tokenOf: ("web-0", "uid-web"), from: "10.244.1.24", stage: "ResponseComplete", at: 11)])
        XCTAssertEqual(alerts.count, 1)
    }

    func testAHostNetworkPodsSharedAddressIsNeverJudged() throws {
        // A host process on 172.18.0.2 and a pod's process on it too: the address is ambiguous.
        let sink = InMemoryAlertSink()
        var e = try engine(sink: sink)
        e.process(EventRecord(timestamp: t0 + 3, event: .exec(ProcessInfo(pid: ProcessID(600), ppid: ProcessID(1), exe: "/usr/bin/kubelet",
                                                                          argv: ["kubelet"], cgroup: "/system.slice/kubelet.service"))))
        e.process(EventRecord(timestamp: t0 + 4, event: .connect(ConnectEvent(pid: ProcessID(600), proto: "tcp", localAddress: "172.18.0.2",
                                                                              localPort: 40001, remoteAddress: "10.96.0.1", remotePort: 443))))
        e.process(request("r1", tokenOf: ("api-7", "uid-api"), from: "172.18.0.2"))
        e.finish()
        XCTAssertEqual(sink.detections, [])
    }

    func testAnAllowEntryForTheRuleQuietsIt() throws {
        let sink = InMemoryAlertSink()
        let profile = try ProfileLoader().load([ProfileSource(name: ProfileLoader.embeddedDefaultName, text: DefaultProfile.yaml),
                                                ProfileSource(name: "t.yaml", text: "version: 1\naudit:\n  allow:\n    - rules: [k8s-token-used-elsewhere]\n      users: [\"system:serviceaccount:shop:default\"]\n")])
        var e = try engine(sink: sink)
        e.replaceProfile(profile)
        e.process(request("r1", tokenOf: ("web-0", "uid-web"), from: "10.244.1.24"))
        e.finish()
        XCTAssertEqual(sink.detections, [])
    }

    // MARK: - A token read linked to the requests made with that token (k8s-api-after-token-read)

    /// A shell in web-0 reads the token at t0 + 5 s.
    private func shellReadsToken() -> [EventRecord] {
        [EventRecord(timestamp: t0 + 4_000_000_000, event: .exec(ProcessInfo(pid: ProcessID(700), ppid: ProcessID(500), exe: "/bin/sh",
                                                                          argv: ["sh"], cgroup: "/kubepods/besteffort/poduid-web/\(web.rawValue)"))),
         EventRecord(timestamp: t0 + 5_000_000_000, event: .fileOpen(FileOpenEvent(
             pid: ProcessID(700), path: "/var/lib/kubelet/pods/uid-web/volumes/token",
             containerPath: "/var/run/secrets/kubernetes.io/serviceaccount/token")))]
    }

    func testAShellsTokenReadAndTheRequestsMadeWithTheTokenAreOneAlertListingThem() throws {
        let web0 = (name: "web-0", uid: "uid-web")
        let alerts = try run(shellReadsToken() + [request("q1", tokenOf: web0, from: "10.244.1.23", at: 8),
                                                  request("q2", tokenOf: web0, from: "10.244.1.23", at: 9),
                                                  request("q2", tokenOf: web0, from: "10.244.1.23", stage: "ResponseStarted", at: 9),
                                                  request("q3", tokenOf: web0, from: "10.244.1.23", at: 12)])
        let linked = alerts.filter { $0.ruleID == "k8s-api-after-token-read" }
        XCTAssertEqual(linked.count, 1, "\(alerts.map(\.ruleID))")
        XCTAssertEqual(linked.first?.fields["ka.requests"], .list(Array(repeating: "get configmaps shop/app 200", count: 3)))
        XCTAssertEqual(linked.first?.fields["ka.requests.count"], .int(3))
        XCTAssertEqual(linked.first?.fields["rw.token.reader_exepath"], .string("/bin/sh"))
        XCTAssertEqual(linked.first?.fields["k8s.pod.name"], .string("web-0"))
        XCTAssertEqual(alerts.filter { $0.ruleID == "service-account-token-read" }.count, 1)
        XCTAssertTrue(linked.first?.output.contains("then used for 3 API requests: get configmaps shop/app 200;") == true, linked.first?.output ?? "")
    }

    func testARequestThatReachesTheEngineBeforeTheReadIsStillLinked() throws {
        let web0 = (name: "web-0", uid: "uid-web")
        let read = shellReadsToken()
        let alerts = try run([read[0], request("q1", tokenOf: web0, from: "10.244.1.23", at: 8), read[1]])
        XCTAssertEqual(alerts.filter { $0.ruleID == "k8s-api-after-token-read" }.map { $0.fields["ka.requests.count"] }, [.int(1)])
    }

    func testRequestsWithAnotherPodsTokenOrBeforeTheReadAreNotLinked() throws {
        let alerts = try run([request("early", tokenOf: ("web-0", "uid-web"), from: "10.244.1.23", at: 2)] + shellReadsToken()
                             + [request("q1", tokenOf: ("db-0", "uid-db"), from: "10.244.1.24", at: 8)])
        XCTAssertEqual(alerts.filter { $0.ruleID == "k8s-api-after-token-read" }, [])
    }

    /// Every audit rule ties a request made with a pod's bound token to that pod (exact), before
    /// trying the source address or the service account's namespace.
    func testAnAuditAlertIsLinkedToTheTokensPodByItsUID() throws {
        let sink = InMemoryAlertSink()
        var e = try engine(sink: sink)
        let user = AuditUser(username: "system:serviceaccount:shop:default", extra: [K8sTokenUseDetector.podUIDExtra: ["uid-db"]])
        e.process(EventRecord(timestamp: t0 + 10_000_000_000, event: .k8sAudit(AuditEvent(
            level: "Metadata", auditID: "s1", stage: "ResponseComplete", requestURI: "/api/v1/secrets", verb: "list", user: user,
            sourceIPs: ["10.244.1.24"], objectRef: AuditObjectReference(resource: "secrets"), responseStatus: AuditResponseStatus(code: 403)))))
        e.finish()
        let listed = sink.detections.filter { $0.ruleID == "k8s-secrets-listed-all-namespaces" }
        XCTAssertEqual(listed.first?.fields["ka.correlation"], .string("token-pod-uid"))
        XCTAssertEqual(listed.first?.fields["k8s.pod.name"], .string("db-0"))
    }
}
