// SPDX-License-Identifier: Apache-2.0
// Workload risk judged on the object, whoever creates it (issue 16 item 1). Seed-shaped audit events
// in the shape the API server logs at RequestResponse level: a user creates a Deployment (or a
// DaemonSet, Job, StatefulSet), `system:serviceaccount:kube-system:deployment-controller` creates
// its ReplicaSet and `replicaset-controller` its pods, each pod naming its owner in
// metadata.ownerReferences (controller: true), as the controllers set it.

import XCTest
@testable import RuntimeWatchCore

final class K8sWorkloadRiskTests: XCTestCase {
    let t0: UInt64 = 1_795_165_200_000_000_000
    static let controllers = "system:serviceaccount:kube-system:"

    private func engine(_ yaml: String? = nil, sink: InMemoryAlertSink) throws -> Engine {
        var sources = [ProfileSource(name: ProfileLoader.embeddedDefaultName, text: DefaultProfile.yaml)]
        if let yaml { sources.append(ProfileSource(name: "test.yaml", text: yaml)) }
        return Engine(configuration: EngineConfiguration(hostname: "h"), detectors: BuiltinDetectors.make(),
                      profile: try ProfileLoader().load(sources), sink: sink)
    }

    private static let privileged = AuditPodSpec(containers: [AuditContainer(name: "c", image: "evil/miner:1",
                                                                              securityContext: AuditSecurityContext(privileged: true))])

    /// A create of `resource` `name` in `ns` by `user`; pods and templates carry `spec`.
    private func create(_ id: String, _ resource: String, _ name: String, ns: String = "shop", by user: String,
                        spec: AuditPodSpec = privileged, owner: (kind: String, name: String)? = nil, at offset: UInt64 = 1) -> EventRecord {
        let kind = WorkloadTemplates.kind(ofResource: resource) ?? resource
        let podSpec = resource == "pods" ? AuditObjectSpec(pod: spec) : AuditObjectSpec(template: AuditPodTemplate(spec: spec))
        let object = AuditRequestObject(kind: kind, metadata: AuditObjectMetadata(
            name: name, namespace: ns, ownerReferences: owner.map { [AuditOwnerReference(kind: $0.kind, name: $0.name, controller: true)] }),
            spec: podSpec)
        return EventRecord(timestamp: t0 + offset * 1_000_000_000, event: .k8sAudit(AuditEvent(
            level: "RequestResponse", auditID: id, stage: "ResponseComplete", requestURI: "/apis/x/namespaces/\(ns)/\(resource)",
            verb: "create", user: AuditUser(username: user), sourceIPs: ["192.0.2.10"],
            objectRef: AuditObjectReference(resource: resource, namespace: ns, name: name), responseStatus: AuditResponseStatus(code: 201),
            requestObject: object)))
    }

    private func run(_ records: [EventRecord], profile: String? = nil) throws -> [Alert] {
        let sink = InMemoryAlertSink()
        var e = try engine(profile, sink: sink)
        for r in records { e.process(r) }
        e.finish()
        return sink.detections.filter { $0.ruleID == "k8s-privileged-workload" }
    }

    func testADeploymentItsReplicaSetAndItsPodsAreOneAlert() throws {
        let alerts = try run([create("d", "deployments", "web", by: "alice"),
                              create("rs", "replicasets", "web-5d4f", by: Self.controllers + "deployment-controller", owner: ("Deployment", "web"), at: 2)]
                             + (0..<3).map { create("p\($0)", "pods", "web-5d4f-\($0)", by: Self.controllers + "replicaset-controller",
                                                    owner: ("ReplicaSet", "web-5d4f"), at: 3) })
        XCTAssertEqual(alerts.count, 1)
        XCTAssertEqual(alerts.first?.fields["ka.user.name"], .string("alice"))
        XCTAssertEqual(alerts.first?.fields["ka.req.owner"], .string("Deployment/web"))
    }

    func testAControllerCreatedPodAlertsAndNamesItsOwnerAndTheUserBehindIt() throws {
        // The Deployment and ReplicaSet were logged without their bodies (Metadata level): only
        // the pod shows the risk. Its owner is the ReplicaSet; the user behind it wrote the Deployment.
        func metadataOnly(_ record: EventRecord) -> EventRecord {
            guard case .k8sAudit(var e) = record.event else { return record }
            var object = e.requestObject
            object?.spec = nil
            e.requestObject = object
            return EventRecord(timestamp: record.timestamp, event: .k8sAudit(e))
        }
        let alerts = try run([metadataOnly(create("d", "deployments", "web", by: "alice")),
                              metadataOnly(create("rs", "replicasets", "web-5d4f", by: Self.controllers + "deployment-controller",
                                                  owner: ("Deployment", "web"), at: 2)),
                              create("p0", "pods", "web-5d4f-0", by: Self.controllers + "replicaset-controller", owner: ("ReplicaSet", "web-5d4f"), at: 3),
                              create("p1", "pods", "web-5d4f-1", by: Self.controllers + "replicaset-controller", owner: ("ReplicaSet", "web-5d4f"), at: 3)])
        XCTAssertEqual(alerts.count, 1, "the second pod has the same template")
        let a = try XCTUnwrap(alerts.first)
        XCTAssertEqual(a.fields["ka.user.name"], .string(Self.controllers + "replicaset-controller"))
        XCTAssertEqual(a.fields["ka.req.owner"], .string("ReplicaSet/web-5d4f"))
        XCTAssertEqual(a.fields["ka.req.owner.last_writer"], .string("alice"))
        XCTAssertTrue(a.output.contains("owner=ReplicaSet/web-5d4f owner_written_by=alice"), a.output)
    }

    func testEveryRiskVariantAlertsOnceCreatedDirectlyOrByEachController() throws {
        let variants: [(String, AuditPodSpec)] = [
            ("privileged", Self.privileged),
            ("hostPID", AuditPodSpec(hostPID: true, containers: [AuditContainer(image: "busybox")])),
            ("hostNetwork", AuditPodSpec(hostNetwork: true, containers: [AuditContainer(image: "busybox")])),
            ("hostIPC", AuditPodSpec(hostIPC: true, containers: [AuditContainer(image: "busybox")])),
            ("hostPath", AuditPodSpec(containers: [AuditContainer(image: "busybox")],
                                      volumes: [AuditVolume(name: "root", hostPath: AuditHostPath(path: "/"))])),
        ]
        let creators: [(String, String?)] = [("bob", nil), (Self.controllers + "replicaset-controller", "ReplicaSet"),
                                             (Self.controllers + "daemon-set-controller", "DaemonSet"),
                                             (Self.controllers + "job-controller", "Job"),
                                             (Self.controllers + "statefulset-controller", "StatefulSet")]
        for (vi, (variant, spec)) in variants.enumerated() {
            for (ci, (user, ownerKind)) in creators.enumerated() {
                let ns = "ns-\(vi)-\(ci)"
                let alerts = try run([create("p", "pods", "x-0", ns: ns, by: user, spec: spec, owner: ownerKind.map { ($0, "x") })])
                XCTAssertEqual(alerts.count, 1, "\(variant) pod created by \(user)")
            }
        }
    }

    func testKubeSystemNodeAgentsAreAllowedAsDaemonSetsNotByTheController() throws {
        let agent = create("p", "pods", "kube-proxy-x", ns: "kube-system", by: Self.controllers + "daemon-set-controller",
                           owner: ("DaemonSet", "kube-proxy"))
        let mirror = create("m", "pods", "kube-apiserver-node-1", ns: "kube-system", by: "system:node:node-1", owner: ("Node", "node-1"))
        XCTAssertEqual(try run([agent, mirror]), [])
        // A bare privileged pod, or a Deployment's pod, hidden in kube-system is judged.
        let bare = create("b", "pods", "kube-proxy-debug", ns: "kube-system", by: "mallory")
        let deployed = create("d", "pods", "metrics-7f-0", ns: "kube-system", by: Self.controllers + "replicaset-controller",
                              owner: ("ReplicaSet", "metrics-7f"))
        XCTAssertEqual(try run([bare, deployed]).map { $0.fields["ka.auditid"] }, [.string("b"), .string("d")])
        // The same controller creating the same pod elsewhere is judged.
        XCTAssertEqual(try run([create("p", "pods", "kube-proxy-x", ns: "default", by: Self.controllers + "daemon-set-controller",
                                       owner: ("DaemonSet", "kube-proxy"))]).count, 1)
    }

    func testTheSameSpecInAnotherWorkloadIsItsOwnAlert() throws {
        // Same namespace, same image, same risk: only the workload tells them apart.
        let alerts = try run([create("d1", "deployments", "web", by: "alice"),
                              create("d2", "deployments", "web-copy", by: "mallory", at: 2),
                              create("p", "pods", "shell", by: "mallory", at: 3),
                              create("d1u", "deployments", "web", by: "alice", at: 4)])
        XCTAssertEqual(alerts.map { $0.fields["ka.req.owner"] }, [.string("Deployment/web"), .string("Deployment/web-copy"), .string("Pod/shell")],
                       "an update of web with the same template is not a new alert")
    }

    func testAScalingDeploymentStaysOneAlertAndAnIdleOneIsReportedAnew() throws {
        let minute: UInt64 = 60
        let pod = { (i: UInt64) in self.create("p\(i)", "pods", "web-5d4f-\(i)", by: Self.controllers + "replicaset-controller",
                                          owner: ("ReplicaSet", "web-5d4f"), at: i * 50 * minute) }
        var records = [create("d", "deployments", "web", by: "alice"),
                       create("rs", "replicasets", "web-5d4f", by: Self.controllers + "deployment-controller", owner: ("Deployment", "web"), at: 2)]
        records += (1...3).map(pod)    // every 50 minutes for 150 minutes: folded, each refreshing the template
        records.append(pod(6))         // 150 minutes after the last: reported anew
        XCTAssertEqual(try run(records).map { $0.fields["ka.auditid"] }, [.string("d"), .string("p6")])
    }

    func testPodsDoNotPushTheirOwnersOutOfTheWriterBound() throws {
        var records = [create("d", "deployments", "web", by: "alice", spec: AuditPodSpec(containers: [AuditContainer(image: "web:1")])),
                       create("rs", "replicasets", "web-5d4f", by: Self.controllers + "deployment-controller",
                              spec: AuditPodSpec(containers: [AuditContainer(image: "web:1")]), owner: ("Deployment", "web"))]
        records += (0..<(WorkloadTemplates.capacity + 10)).map {
            create("q\($0)", "pods", "other-\($0)", by: Self.controllers + "replicaset-controller",
                   spec: AuditPodSpec(containers: [AuditContainer(image: "other:1")]), owner: ("ReplicaSet", "other"))
        }
        records.append(create("p", "pods", "web-5d4f-0", by: Self.controllers + "replicaset-controller", owner: ("ReplicaSet", "web-5d4f"), at: 5))
        let alerts = try run(records)
        XCTAssertEqual(alerts.count, 1)
        XCTAssertEqual(alerts.first?.fields["ka.req.owner.last_writer"], .string("alice"))
    }

    func testAnOwnerEntryCoversTheWholeChainBelowIt() throws {
        let profile = "version: 1\naudit:\n  allow:\n    - rules: [k8s-privileged-workload]\n      owners: [\"Deployment/web\"]\n"
        let chain = [create("d", "deployments", "web", by: "alice"),
                     create("rs", "replicasets", "web-5d4f", by: Self.controllers + "deployment-controller", owner: ("Deployment", "web"), at: 2),
                     create("p", "pods", "web-5d4f-0", by: Self.controllers + "replicaset-controller", owner: ("ReplicaSet", "web-5d4f"), at: 3)]
        XCTAssertEqual(try run(chain, profile: profile), [])
        // Without the Deployment's write seen, its ReplicaSet's pod cannot be tied to it.
        XCTAssertEqual(try run([chain[2]], profile: profile).count, 1)
    }

    func testAllowEntriesMatchTheWorkloadByOwnerAndImage() throws {
        let profile = """
        version: 1
        audit:
          allow:
            - rules: [k8s-privileged-workload]
              owners: ["DaemonSet/node-exporter"]
            - rules: [k8s-privileged-workload]
              images: ["registry.example.com/csi/*"]
        """
        let byOwner = create("a", "pods", "node-exporter-1", ns: "monitoring", by: Self.controllers + "daemon-set-controller",
                             owner: ("DaemonSet", "node-exporter"))
        let csi = create("b", "pods", "csi-0", ns: "storage", by: "alice", spec: AuditPodSpec(containers: [AuditContainer(
            image: "registry.example.com/csi/driver:2", securityContext: AuditSecurityContext(privileged: true))]))
        let other = create("c", "pods", "miner-0", ns: "shop", by: Self.controllers + "daemon-set-controller", owner: ("DaemonSet", "miner"))
        XCTAssertEqual(try run([byOwner, csi, other], profile: profile).map { $0.fields["ka.auditid"] }, [.string("c")])
    }

    func testIdentityEntriesNeverCoverWorkloadRiskAndAreRefusedForIt() throws {
        // An entry with no `rules` covers every audit rule by identity, except workload risk.
        let profile = "version: 1\naudit:\n  allow:\n    - users: [\"system:serviceaccount:kube-system:*\"]\n"
        XCTAssertEqual(try run([create("p", "pods", "x", by: Self.controllers + "daemon-set-controller", owner: ("DaemonSet", "x"))],
                               profile: profile).count, 1)
        assertProfileError("version: 1\naudit:\n  allow:\n    - rules: [k8s-privileged-workload]\n      users: [x]\n", line: 5, column: 14,
                           contains: "'users' cannot scope k8s-privileged-workload")
        assertProfileError("version: 1\naudit:\n  allow:\n    - rules: [k8s-secret-read]\n      images: [x]\n", line: 5, column: 15,
                           contains: "'images' and 'owners' scope only k8s-privileged-workload")
    }
}
