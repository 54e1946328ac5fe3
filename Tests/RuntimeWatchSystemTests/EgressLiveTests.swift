// SPDX-License-Identifier: Apache-2.0
// Live end-to-end for "Outbound connection monitoring": the real `runtime-watch` binary (connect
// capture over netlink audit) watches a runc container in TEST-NET namespace B connecting to
// listeners in namespace A. A profiled destination stays quiet, any other raises exactly one
// `unexpected-outbound-connection`; and a profile learned live by `runtime-watch learn` allows what
// was learned and alerts on a new port. Root only.

import Foundation
import XCTest

final class EgressLiveTests: XCTestCase {
    static let rule = "unexpected-outbound-connection"

    override func setUpWithError() throws {
        try requireRoot("live egress tests (runc, network namespaces, netlink audit)")
        try requireTools([(path: TestNetwork.ip, package: "iproute2"), (path: NetnsListener.python, package: "python3"),
                          (path: BusyboxRootfs.busybox, package: "busybox-static"), (path: RuncContainer.runc, package: "runc")])
        _ = try runtimeWatchBinary()
    }

    /// Network (A and B), a running hostUsr container in B, and a scratch directory; all torn down after
    /// the test. With `resolvConf`, that text is bind-mounted on the container's /etc/resolv.conf, as
    /// the kubelet mounts a pod's.
    private func makeScene(resolvConf: String? = nil) throws -> (TestNetwork, RuncContainer, TemporaryDirectory) {
        let scratch = try TemporaryDirectory(prefix: "rw-egress-live")
        addTeardownBlock { scratch.remove() }
        let network = try TestNetwork()
        addTeardownBlock { network.teardown() }
        var configuration = RuncContainer.Configuration()
        configuration.networkNamespacePath = network.pathB
        configuration.hostUsr = true
        if let resolvConf {
            configuration.binds.append(BindMount(hostPath: try scratch.write(resolvConf, to: "resolv.conf"), containerPath: "/etc/resolv.conf"))
        }
        let container = try RuncContainer(configuration)
        addTeardownBlock { container.stop() }
        try container.start()
        return (network, container, scratch)
    }

    /// `runtime-watch run` with alerts to `outputPath`, ready once its log says "monitoring".
    private func startMonitor(profiles: [String], outputPath: String, scratch: TemporaryDirectory) throws -> EgressLiveChild {
        let monitor = try EgressLiveChild(
            arguments: ["run", "--output", outputPath, "--listen", "off", "--no-token-watch", "--duration", "120"]
                + profiles.flatMap { ["--profile", $0] },
            scratch: scratch, logName: "run.log")
        addTeardownBlock { monitor.stop() }
        guard monitor.waitForLog("monitoring", timeout: .seconds(30)) else {
            throw HarnessError("runtime-watch run did not get ready; log:\n\(monitor.log)")
        }
        return monitor
    }

    /// Egress alerts of `container` in `outputPath`, polled until one names `port` (bounded), then
    /// read once more after a short pause so a late extra alert would be seen too.
    private func egressAlerts(of container: RuncContainer, in outputPath: String, waitingForPort port: UInt16) throws -> [EndToEndAlert] {
        let shortID = String(container.id.prefix(12))
        func current() throws -> [EndToEndAlert] {
            try egressLiveAlerts(in: outputPath).filter { $0.ruleID == Self.rule && $0.containerID == shortID }
        }
        _ = waitUntil(timeout: .seconds(20)) { ((try? current()) ?? []).contains { $0.remotePort == Int(port) } }
        usleep(1_000_000)
        return try current()
    }

    private func assertAlert(_ alert: EndToEndAlert, from container: RuncContainer, pid: Int32, port: UInt16,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(alert.pid, pid, "proc.pid is the connecting process: \(alert)", file: file, line: line)
        XCTAssertEqual(alert.containerID, String(container.id.prefix(12)), file: file, line: line)
        XCTAssertEqual(alert.containerID?.count, 12, file: file, line: line)
        XCTAssertEqual(alert.podName, container.configuration.podName, file: file, line: line)
        XCTAssertEqual(alert.namespace, container.configuration.namespace, file: file, line: line)
        XCTAssertEqual(alert.remoteAddress, TestNetwork.addressA, file: file, line: line)
        XCTAssertEqual(alert.remotePort, Int(port), file: file, line: line)
    }

    func testProfiledDestinationIsQuietAndAnyOtherRaisesExactlyOneAlert() throws {
        let (network, container, scratch) = try makeScene()
        let listener = try EgressLiveListener(network: network, portCount: 2, maxConnections: 4, timeout: .seconds(90))
        let (allowedPort, deniedPort) = (listener.ports[0], listener.ports[1])
        let profile = try scratch.write("""
            version: 1
            settings: {fold_window_seconds: 0}
            allow:
              - rules: [\(Self.rule)]
                namespace: "\(container.configuration.namespace)"
                image: "\(container.configuration.image)"
                destinations: [{cidr: \(TestNetwork.addressA)/32, ports: "\(allowedPort)"}]
                reason: "egress live test: the only destination this workload may use"

            """, to: "egress-profile.yaml")
        let outputPath = scratch.at("alerts.jsonl")
        let monitor = try startMonitor(profiles: [profile], outputPath: outputPath, scratch: scratch)

        _ = try container.egressConnect(port: allowedPort, scratch: scratch)
        let deniedPID = try container.egressConnect(port: deniedPort, scratch: scratch)
        let alerts = try egressAlerts(of: container, in: outputPath, waitingForPort: deniedPort)

        XCTAssertEqual(listener.accepted.sorted(), [allowedPort, deniedPort].sorted(), "both connections were made")
        XCTAssertEqual(alerts.count, 1, "exactly one alert, for the port not in the profile: \(alerts); log:\n\(monitor.log)")
        if let alert = alerts.first { assertAlert(alert, from: container, pid: deniedPID, port: deniedPort) }
    }

    /// The container is configured with 198.51.100.1 as its resolver (its resolv.conf, read by the
    /// monitor through the container's root). Queries to it, over UDP and TCP, raise nothing; the same
    /// query to 198.51.100.53 raises one alert per transport: Warning over UDP, Critical over TCP.
    /// The embedded default profile only (the 53-everywhere entry is gone from it).
    func testDNSToTheConfiguredResolverIsQuietAndToAnyOtherAddressAlerts() throws {
        let (_, container, scratch) = try makeScene(resolvConf: "# kubelet-style\nsearch rw-test.svc.cluster.local\nnameserver \(TestNetwork.addressA)\noptions ndots:5\n")
        let fold = try scratch.write("version: 1\nsettings: {fold_window_seconds: 0}\n", to: "fold0.yaml")
        let outputPath = scratch.at("alerts.jsonl")
        let monitor = try startMonitor(profiles: [fold], outputPath: outputPath, scratch: scratch)

        let elsewhere = "198.51.100.53"
        try container.dnsQuery(to: TestNetwork.addressA, proto: "udp", scratch: scratch)
        try container.dnsQuery(to: TestNetwork.addressA, proto: "tcp", scratch: scratch)
        let udpPID = try container.dnsQuery(to: elsewhere, proto: "udp", scratch: scratch)
        let tcpPID = try container.dnsQuery(to: elsewhere, proto: "tcp", scratch: scratch)
        let shortID = String(container.id.prefix(12))
        func dnsAlerts() throws -> [EndToEndAlert] {
            try egressLiveAlerts(in: outputPath).filter { $0.ruleID == Self.rule && $0.containerID == shortID && $0.remotePort == 53 }
        }
        _ = waitUntil(timeout: .seconds(20)) { ((try? dnsAlerts()) ?? []).count >= 2 }
        usleep(1_000_000)
        let alerts = try dnsAlerts()
        XCTAssertEqual(alerts.filter { $0.remoteAddress == TestNetwork.addressA }.count, 0,
                       "queries to the configured resolver are expected: \(alerts)\nlog:\n\(monitor.log)")
        let udp = alerts.filter { $0.pid == udpPID }, tcp = alerts.filter { $0.pid == tcpPID }
        XCTAssertEqual(udp.count, 1, "one alert for the UDP query elsewhere: \(alerts)\nlog:\n\(monitor.log)")
        XCTAssertEqual(tcp.count, 1, "one alert for the TCP query elsewhere: \(alerts)")
        XCTAssertEqual(alerts.count, 2, "\(alerts)")
        XCTAssertEqual(udp.first?.remoteAddress, elsewhere)
        XCTAssertEqual(udp.first?.raw["priority"] as? String, "Warning")
        XCTAssertEqual(tcp.first?.raw["priority"] as? String, "Critical")
        XCTAssertTrue((udp.first?.raw["output"] as? String)?.contains("expected: \(TestNetwork.addressA)") == true,
                      "the alert names the configured resolver: \(udp)")
    }

    func testLiveLearnedProfileAllowsLearnedDestinationsAndAlertsOnANewPort() throws {
        let (network, container, scratch) = try makeScene()
        let listener = try EgressLiveListener(network: network, portCount: 3, maxConnections: 8, timeout: .seconds(120))
        let (learnedA, learnedB, newPort) = (listener.ports[0], listener.ports[1], listener.ports[2])
        let learnedPath = scratch.at("learned.yaml")

        // Learn live. The first progress line (a tick after ~5 s) proves capture, audit included, is on.
        let learn = try EgressLiveChild(arguments: ["learn", "--duration", "12", "--output", learnedPath, "--no-token-watch"],
                                        scratch: scratch, logName: "learn.log")
        addTeardownBlock { learn.stop() }
        guard learn.waitForLog("learning:", timeout: .seconds(15)) else {
            throw HarnessError("runtime-watch learn did not report progress; log:\n\(learn.log)")
        }
        _ = try container.egressConnect(port: learnedA, scratch: scratch)
        _ = try container.egressConnect(port: learnedB, scratch: scratch)
        let learnStatus = learn.waitForExit(timeout: .seconds(25))
        XCTAssertEqual(learnStatus, 0, "learn ends by itself after --duration; log:\n\(learn.log)")
        let learned = CommandRunner.readCapped(learnedPath)
        XCTAssertTrue(learned.contains(container.configuration.namespace), "learned the workload:\n\(learned)")
        for port in [learnedA, learnedB] {
            XCTAssertTrue(learned.contains("\(TestNetwork.addressA)/32") && learned.contains("\"\(port)\""),
                          "learned destination port \(port):\n\(learned)")
        }
        XCTAssertFalse(learned.contains("\"\(newPort)\""), "the new port was never used while learning:\n\(learned)")

        let check = try CommandRunner.run([try runtimeWatchBinary(), "profile", "check", learnedPath], timeout: .seconds(20))
        XCTAssertEqual(check.status, 0, "profile check accepts the learned profile: \(check)")

        // Run with what was learned: the same connections stay quiet, a new port alerts once.
        let fold = try scratch.write("version: 1\nsettings: {fold_window_seconds: 0}\n", to: "fold0.yaml")
        let outputPath = scratch.at("alerts.jsonl")
        let monitor = try startMonitor(profiles: [learnedPath, fold], outputPath: outputPath, scratch: scratch)
        _ = try container.egressConnect(port: learnedA, scratch: scratch)
        _ = try container.egressConnect(port: learnedB, scratch: scratch)
        let newPID = try container.egressConnect(port: newPort, scratch: scratch)
        let alerts = try egressAlerts(of: container, in: outputPath, waitingForPort: newPort)

        XCTAssertEqual(listener.accepted.sorted(), [learnedA, learnedA, learnedB, learnedB, newPort].sorted())
        XCTAssertEqual(alerts.count, 1, "only the new port alerts: \(alerts); learned:\n\(learned)\nlog:\n\(monitor.log)")
        if let alert = alerts.first { assertAlert(alert, from: container, pid: newPID, port: newPort) }
    }
}
