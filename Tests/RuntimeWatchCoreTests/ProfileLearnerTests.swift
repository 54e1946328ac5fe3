// SPDX-License-Identifier: Apache-2.0
// Learn mode: a profile learned from a workload, used on the same workload, yields no alerts, and a
// destination the workload did not use while learning still alerts.
import XCTest
import Metrics
@testable import RuntimeWatchCore

final class ProfileLearnerTests: XCTestCase {
    private let cid = String(repeating: "cd", count: 32)
    private var cgroup: String { "/kubepods/besteffort/pod0f5e2f1c-7d3a-4c1e-9b8a-1234567890ab/\(cid)" }

    private func workload(extra: (inout TraceBuilder) -> Void = { _ in }) -> [EventRecord] {
        var t = TraceBuilder()
        t.container(ContainerInfo(id: ContainerID(cid), runtime: "containerd", podName: "api-1", namespace: "shop",
                                  containerName: "api", image: "registry.example/api:3.1", entrypoint: ["/app/api"]))
        t.snapshot(1, ppid: 0, exe: "/sbin/init", cgroup: "/")
        t.snapshot(200, ppid: 1, exe: "/app/api", cgroup: cgroup)
        for (address, port) in [("10.1.2.3", UInt16(5432)), ("198.51.100.7", 4444), ("2001:db8::7", 443)] {
            t.emit(.connect(ConnectEvent(pid: ProcessID(200), proto: "tcp", remoteAddress: address, remotePort: port)))
        }
        t.exec(210, ppid: 200, exe: "/bin/cat", argv: ["cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"], cgroup: cgroup)
        t.emit(.fileOpen(FileOpenEvent(pid: ProcessID(210), path: "/var/lib/kubelet/pods/x/volumes/kubernetes.io~projected/v/token",
                                       containerPath: "/var/run/secrets/kubernetes.io/serviceaccount/token")))
        extra(&t)
        return t.records
    }

    private func run(_ records: [EventRecord], profile: Profile) -> [Alert] {
        let sink = InMemoryAlertSink()
        var engine = Engine(configuration: EngineConfiguration(hostname: "n"), detectors: BuiltinDetectors.make(),
                            profile: profile, sink: sink, metrics: NOOPMetricsHandler.instance)
        for r in records { engine.process(r) }
        engine.finish()
        return sink.detections
    }

    private func learn(_ records: [EventRecord], base: Profile) -> ProfileLearner {
        let sink = InMemoryAlertSink()
        var engine = Engine(configuration: EngineConfiguration(hostname: "n"), detectors: BuiltinDetectors.make(),
                            profile: base, sink: sink, metrics: NOOPMetricsHandler.instance)
        var learner = ProfileLearner()
        for r in records {
            engine.process(r)
            learner.observe(r, state: engine.state)
        }
        engine.finish()
        for a in sink.alerts { learner.observe(a) }
        return learner
    }

    func testLearnedProfileSilencesTheWorkloadAndNewDestinationsStillAlert() throws {
        let base = try ProfileLoader().embeddedDefault()
        let records = workload()
        let before = run(records, profile: base)
        XCTAssertEqual(Set(before.map(\.ruleID)), ["unexpected-outbound-connection", "service-account-token-read"],
                       "the workload alerts under the default profile: \(before.map(\.output))")

        let learner = learn(records, base: base)
        let yaml = learner.yaml(header: "test")
        let learned = try ProfileLoader().parse(yaml, file: "learned.yaml")
        XCTAssertTrue(yaml.contains("\"10.1.2.3/32\""), yaml)
        XCTAssertTrue(yaml.contains("\"2001:db8::7/128\""), yaml)
        XCTAssertTrue(yaml.contains("/var/run/secrets/kubernetes.io/serviceaccount/token"), yaml)
        let profile = base.merged(with: learned)
        XCTAssertEqual(run(records, profile: profile).map(\.output), [], "learned profile: no alerts on the same workload")

        // A new private destination: quiet under the baseline, but the learned workload is strict now.
        let changed = workload { t in
            t.emit(.connect(ConnectEvent(pid: ProcessID(200), proto: "tcp", remoteAddress: "10.9.9.9", remotePort: 6379)))
        }
        let after = run(changed, profile: profile)
        XCTAssertEqual(after.count, 1, after.map(\.output).joined(separator: "\n"))
        XCTAssertEqual(after.first?.fields["fd.rip"], .string("10.9.9.9"))
        XCTAssertEqual(after.first?.fields["k8s.ns.name"], .string("shop"))
        XCTAssertTrue(run(changed, profile: base).filter { $0.fields["fd.rip"] == .string("10.9.9.9") }.isEmpty, "the baseline alone would have missed it")
    }

    func testYAMLQuotingSurvivesOddNames() throws {
        XCTAssertEqual(ProfileLearner.quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"")
        XCTAssertEqual(ProfileLearner().yaml(header: "empty").hasSuffix("allow: []\n"), true)
        _ = try ProfileLoader().parse(ProfileLearner().yaml(header: "empty"), file: "empty.yaml")
    }
}
