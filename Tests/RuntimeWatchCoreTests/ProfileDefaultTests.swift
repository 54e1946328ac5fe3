// SPDX-License-Identifier: Apache-2.0
// The embedded default profile: identical to profiles/default.yaml, parses with the built-in rule
// ids and no warnings, and allows what it says (node agents, DNS) and nothing it should not.

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class ProfileDefaultTests: XCTestCase {
    func testEmbeddedCopyIsIdenticalToTheFile() throws {
        // Tests/RuntimeWatchCoreTests/ProfileDefaultTests.swift → repository root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("profiles/default.yaml"), encoding: .utf8)
        XCTAssertEqual(DefaultProfile.yaml, file, "regenerate DefaultProfile.swift from profiles/default.yaml")
    }

    func testParsesCleanly() throws {
        let p = try ProfileLoader().embeddedDefault()
        XCTAssertEqual(p.sources, [ProfileLoader.embeddedDefaultName])
        XCTAssertEqual(p.warnings, [])
        XCTAssertEqual(p.disabledRules, [])
        XCTAssertGreaterThan(p.allow.count, 10)
        for entry in p.allow {
            XCTAssertTrue(entry.rules.isSubset(of: RuleCatalog.builtin.ruleIDs))
            XCTAssertNotNil(entry.reason, "every default entry says why: \(entry.origin)")
        }
    }

    func testAllowsNodeAgentsAndLoopbackOnly() throws {
        let p = try ProfileLoader().embeddedDefault()
        let token = Rule.serviceAccountTokenRead.id
        let kubeProxy = ProfileSubject(namespace: "kube-system", podName: "kube-proxy-abcde", containerName: "kube-proxy",
                                       image: "registry.k8s.io/kube-proxy:v1.30.2", executable: "/usr/local/bin/kube-proxy")
        XCTAssertNotNil(p.allows(rule: token, subject: kubeProxy, target: .path("/var/run/secrets/kubernetes.io/serviceaccount/token")))
        let calico = ProfileSubject(namespace: "calico-system", image: "docker.io/calico/node:v3.28.0", executable: "/usr/bin/calico-node")
        XCTAssertNotNil(p.allows(rule: token, subject: calico))
        let cilium = ProfileSubject(namespace: "kube-system", image: "quay.io/cilium/cilium:v1.15.6@sha256:abc", executable: "/usr/bin/cilium-agent")
        XCTAssertNotNil(p.allows(rule: token, subject: cilium))
        let awsNode = ProfileSubject(namespace: "kube-system", image: "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.18.1")
        XCTAssertNotNil(p.allows(rule: token, subject: awsNode))
        let flannel = ProfileSubject(namespace: "kube-flannel", image: "docker.io/flannel/flannel:v0.25.1")
        XCTAssertNotNil(p.allows(rule: token, subject: flannel))
        let ebs = ProfileSubject(namespace: "kube-system", image: "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.31.0")
        XCTAssertNotNil(p.allows(rule: token, subject: ebs))
        let kubelet = ProfileSubject(executable: "/usr/bin/kubelet", isHost: true)
        XCTAssertNotNil(p.allows(rule: token, subject: kubelet))

        // Same image outside its namespace, or any other workload: not expected.
        var impostor = kubeProxy
        impostor.namespace = "default"
        XCTAssertNil(p.allows(rule: token, subject: impostor))
        let web = ProfileSubject(namespace: "shop", image: "nginx:1.27", executable: "/usr/sbin/nginx")
        XCTAssertNil(p.allows(rule: token, subject: web))
        XCTAssertNil(p.allows(rule: Rule.reverseShell.id, subject: kubeProxy), "no shell is ever expected by default")
        XCTAssertNil(p.allows(rule: token, subject: ProfileSubject(executable: "/usr/bin/cat", isHost: true)))

        let egress = Rule.unexpectedOutboundConnection.id
        // DNS has no entry: the egress rule expects it to the resolvers each container is configured
        // with (EgressDNSTests), so an entry for port 53 everywhere would hide DNS to anyone else.
        XCTAssertNil(p.allows(rule: egress, subject: web, target: .destination(address: "10.96.0.10", port: 53)))
        XCTAssertNil(p.allows(rule: egress, subject: web, target: .destination(address: "fd00::a", port: 53)))
        XCTAssertNotNil(p.allows(rule: egress, subject: web, target: .destination(address: "127.0.0.1", port: 8080)))
        XCTAssertNil(p.allows(rule: egress, subject: web, target: .destination(address: "198.51.100.7", port: 4444)))
    }
}
