// SPDX-License-Identifier: Apache-2.0
// The "must show" of service-account token read detection, end to end: the real `runtime-watch run`
// binary (embedded default profile plus a test profile), a real runc container with a kubelet-style
// projected token volume bound at the in-pod path, and the Falco JSON alerts it writes. Each reader
// must raise exactly one correctly attributed alert; non-token files, `ls` and an allowlisted
// reader must raise none; 1,000 reads in a loop must all be attributed.

import Foundation
import Glibc
import XCTest

final class TokenReadEndToEndTests: XCTestCase {
    static let secretsDir = "/var/run/secrets/kubernetes.io/serviceaccount"
    static let namespace = "rw-e2e-token"
    static var tokenPath: String { secretsDir + "/token" }

    /// A running container with the token volume bound in, and the monitor watching its kubelet root.
    private struct Scenario {
        let scratch: TemporaryDirectory
        let container: RuncContainer
        let volume: FakeKubeletVolume
        let monitor: MonitorProcess

        func tearDown() {
            monitor.stop()
            container.stop()
            scratch.remove()
        }
    }

    /// Builds the kubelet root (pod UID = the container's), writes the container's config.json with
    /// the volume bound read-only at the in-pod secrets path, starts the container, then the monitor
    /// with `extraProfile` layered on the embedded default. With `monitorFirst` the monitor starts
    /// before the container (whose init is `initArgs`), as for a pod scheduled on a watched node.
    private func startScenario(extraProfile: String, monitorFirst: Bool = false, initArgs: [String]? = nil) throws -> Scenario {
        try requireRoot("token read end-to-end tests")
        try requireTools([(RuncContainer.runc, "runc"), (BusyboxRootfs.busybox, "busybox-static"), ("/usr/bin/python3", "python3")])
        let binary = try runtimeWatchBinary()
        let scratch = try TemporaryDirectory(prefix: "rw-tok-e2e")
        var configuration = RuncContainer.Configuration()
        configuration.namespace = Self.namespace
        configuration.hostUsr = true
        if let initArgs { configuration.args = initArgs }
        let container: RuncContainer
        do { container = try RuncContainer(configuration) } catch { scratch.remove(); throw error }
        do {
            let volume = try FakeKubeletVolume(kubeletRoot: scratch.at("kubelet"), podUID: container.podUID)
            // The pod UID is only known once the bundle exists: rewrite its config.json with the bind.
            configuration.binds = [BindMount(hostPath: volume.volumeDir, containerPath: Self.secretsDir)]
            try RuncSpec.document(for: configuration, id: container.id, podUID: container.podUID, cgroupsPath: container.cgroupsPath)
                .write(to: URL(fileURLWithPath: container.bundle + "/config.json"))
            let profile = try scratch.write(extraProfile, to: "extra-profile.yaml")
            var monitor: MonitorProcess?
            if monitorFirst {
                monitor = try MonitorProcess(binary: binary, kubeletRoot: volume.kubeletRoot, scratch: scratch, profiles: [profile])
            }
            do { try container.start() } catch { monitor?.stop(); throw error }
            let started = try monitor ?? MonitorProcess(binary: binary, kubeletRoot: volume.kubeletRoot, scratch: scratch, profiles: [profile])
            return Scenario(scratch: scratch, container: container, volume: volume, monitor: started)
        } catch {
            container.stop()
            scratch.remove()
            throw error
        }
    }

    /// Starts `argv` in the container, returns its host pid once it has exited, checking it succeeded
    /// (its output file is non-empty when `expectOutput`).
    private func runReader(_ scenario: Scenario, _ argv: [String], expectOutput: Bool) throws -> Int32 {
        let output = scenario.scratch.at("reader-\(RuncContainer.randomHex(bytes: 4)).out")
        let pid = try scenario.container.execDetached(argv, outputPath: output)
        guard waitForProcessEnd(pid) else { throw HarnessError("\(argv) (pid \(pid)) still running after 15 s") }
        let text = CommandRunner.readCapped(output)
        if expectOutput {
            XCTAssertFalse(text.isEmpty, "\(argv) printed nothing: the read did not happen")
        }
        return pid
    }

    /// Canary reads (busybox `head -c 1`) right after the monitor is ready, repeated until one's alert
    /// carries the pod's metadata: right after start the container announcement (process snapshot)
    /// can reach the engine after the first token open (see the report: a startup ordering bug), so
    /// the cases below start once the monitor knows the pod. Fails if no canary is attributed within
    /// 20 tries. Returns the canary pids (excluded from the exact counts) and how many lacked the pod.
    private func awaitPodAttribution(_ scenario: Scenario) throws -> (pids: Set<Int32>, withoutPod: Int) {
        var pids: Set<Int32> = []
        var withoutPod = 0
        for _ in 0..<20 {
            let pid = try runReader(scenario, ["/bin/head", "-c", "1", Self.tokenPath], expectOutput: true)
            pids.insert(pid)
            let alerts = try scenario.monitor.waitForAlerts(timeout: .seconds(15)) { $0.contains { $0.isTokenRead && $0.pid == pid } }
            guard let alert = alerts.first(where: { $0.isTokenRead && $0.pid == pid }) else {
                throw HarnessError("no alert for canary token read (pid \(pid)) within 15 s; monitor log:\n\(scenario.monitor.log)")
            }
            XCTAssertEqual(alert.containerID, String(scenario.container.id.prefix(12)), "canary: container.id")
            if alert.podName == scenario.container.configuration.podName { return (pids, withoutPod) }
            withoutPod += 1
            usleep(200_000)
        }
        throw HarnessError("20 canary token reads never carried k8s.pod.name; monitor log:\n\(scenario.monitor.log)")
    }

    private func assertAttributed(_ alert: EndToEndAlert, to scenario: Scenario, exe: String?, _ what: String,
                                  file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(alert.containerID, String(scenario.container.id.prefix(12)), "\(what): container.id", file: file, line: line)
        XCTAssertEqual(alert.podName, scenario.container.configuration.podName, "\(what): k8s.pod.name", file: file, line: line)
        XCTAssertEqual(alert.namespace, Self.namespace, "\(what): k8s.ns.name", file: file, line: line)
        if let exe { XCTAssertEqual(alert.exePath, exe, "\(what): proc.exepath", file: file, line: line) }
    }

    func testEveryReaderRaisesExactlyOneAttributedAlertAndNonTokenReadsNone() throws {
        let allowedReader = "/usr/bin/tail"
        let scenario = try startScenario(extraProfile: """
            version: 1
            settings:
              fold_window_seconds: 0
            allow:
              - rules: [service-account-token-read]
                namespace: \(Self.namespace)
                executable: \(allowedReader)
                reason: "end-to-end test: an allowlisted reader in this namespace"
            """)
        defer { scenario.tearDown() }
        let canaries = try awaitPodAttribution(scenario)
        let dir = Self.secretsDir, token = Self.tokenPath
        let readers: [(name: String, argv: [String], exe: String)] = [
            ("cat", ["/usr/bin/cat", token], realPath("/usr/bin/cat")),
            ("head -c 10", ["/usr/bin/head", "-c", "10", token], realPath("/usr/bin/head")),
            ("dd", ["/usr/bin/dd", "if=\(token)", "of=/dev/stdout"], realPath("/usr/bin/dd")),
            ("cp", ["/usr/bin/cp", token, "/tmp/t"], realPath("/usr/bin/cp")),
            ("base64", ["/usr/bin/base64", token], realPath("/usr/bin/base64")),
            ("python3 one-liner", ["/usr/bin/python3", "-c", "print(open('\(token)').read())"], realPath("/usr/bin/python3")),
            ("busybox cat via ..data", ["/bin/cat", "\(dir)/..data/token"], "/bin/busybox"),
        ]
        var expected: [Int32: String] = [:]
        var report = ["startup canaries: \(canaries.pids.count) read(s), \(canaries.withoutPod) alert(s) without k8s.pod.name before the pod was known"]
        for reader in readers {
            let pid = try runReader(scenario, reader.argv, expectOutput: reader.name != "cp")
            expected[pid] = reader.name
            let alerts = try scenario.monitor.waitForAlerts(timeout: .seconds(15)) { $0.contains { $0.isTokenRead && $0.pid == pid } }
            let mine = alerts.filter { $0.isTokenRead && $0.pid == pid }
            XCTAssertEqual(mine.count, 1, "\(reader.name) (pid \(pid)): \(mine)")
            if let alert = mine.first { assertAttributed(alert, to: scenario, exe: reader.exe, reader.name) }
            report.append("\(reader.name): pid \(pid) -> \(mine.count) alert(s) \(mine.first.map(String.init(describing:)) ?? "")")
        }

        // Reads that must stay quiet: the other files of the volume, listing it, an allowlisted reader.
        for argv in [["/bin/cat", "\(dir)/ca.crt"], ["/usr/bin/cat", "\(dir)/namespace"], ["/bin/ls", "-la", dir],
                     ["/usr/bin/ls", "-la", "\(dir)/..data/"]] {
            let result = try scenario.container.exec(argv)
            XCTAssertEqual(result.status, 0, "\(argv): \(result)")
        }
        let allowedPID = try runReader(scenario, [allowedReader, token], expectOutput: true)
        // A barrier: a later unexpected read whose alert must arrive; anything the quiet reads raised
        // would be in the output before it (events are processed in order per source).
        let barrierPID = try runReader(scenario, ["/usr/bin/tac", token], expectOutput: true)
        expected[barrierPID] = "barrier tac"
        _ = try scenario.monitor.waitForAlerts(timeout: .seconds(15)) { $0.contains { $0.pid == barrierPID } }
        usleep(1_000_000)   // let anything late land before the exact count below

        let tokenAlerts = try scenario.monitor.alerts().filter(\.isTokenRead)
        XCTAssertFalse(tokenAlerts.contains { $0.pid == allowedPID }, "allowlisted \(allowedReader) (pid \(allowedPID)) alerted")
        let unexpected = tokenAlerts.filter { alert in
            alert.pid.map { expected[$0] == nil && !canaries.pids.contains($0) } ?? true
        }
        XCTAssertTrue(unexpected.isEmpty, "token-read alerts for no expected reader (ca.crt, namespace, ls or allowlisted?): \(unexpected)")
        XCTAssertEqual(tokenAlerts.count, expected.count + canaries.pids.count, "one alert per reader and canary: \(tokenAlerts)")
        report.append("allowlisted \(allowedReader): pid \(allowedPID) -> \(tokenAlerts.filter { $0.pid == allowedPID }.count) alerts")
        report.append("quiet reads (ca.crt, namespace, ls x2) + allowlisted: \(unexpected.count) unexpected alerts; total token alerts \(tokenAlerts.count) for \(expected.count) readers + \(canaries.pids.count) canaries")
        print("token e2e cases:\n  " + report.joined(separator: "\n  "))
        if testRun?.hasSucceeded == false { print("monitor log:\n\(scenario.monitor.log)") }
    }

    func testThousandReadsInALoopAreAllAttributed() throws {
        let scenario = try startScenario(extraProfile: "version: 1\nsettings:\n  fold_window_seconds: 0\n")
        defer { scenario.tearDown() }
        let canaries = try awaitPodAttribution(scenario)
        let reads = 1000
        let start = ContinuousClock.now
        let loopPID = try scenario.container.execDetached(
            ["/bin/sh", "-c", "for i in $(seq \(reads)); do /usr/bin/cat \(Self.tokenPath) >/dev/null; done; echo finished"],
            outputPath: scenario.scratch.at("loop.out"))
        guard waitForProcessEnd(loopPID, timeout: .seconds(180)) else {
            XCTFail("the read loop (pid \(loopPID)) did not finish within 180 s")
            return
        }
        let loopTime = ContinuousClock.now - start
        XCTAssertEqual(CommandRunner.readCapped(scenario.scratch.at("loop.out")).trimmingCharacters(in: .whitespacesAndNewlines), "finished")
        let isLoopAlert = { (alert: EndToEndAlert) in alert.isTokenRead && !(alert.pid.map(canaries.pids.contains) ?? false) }
        _ = try scenario.monitor.waitForAlerts(timeout: .seconds(60)) { $0.filter(isLoopAlert).count >= reads }
        usleep(1_000_000)
        let alerts = try scenario.monitor.alerts().filter(isLoopAlert)
        let shortID = String(scenario.container.id.prefix(12))
        // Attributed correctly = right container and pod, and the reader is a child of the loop's
        // shell (proc.ppid), i.e. a process that lived in that container.
        let attributed = alerts.filter {
            $0.containerID == shortID && $0.podName == scenario.container.configuration.podName
                && $0.namespace == Self.namespace && ($0.fields["proc.ppid"] as? NSNumber)?.int32Value == loopPID
        }
        let distinctPIDs = Set(alerts.compactMap(\.pid))
        let catPath = realPath("/usr/bin/cat")
        let withExe = alerts.filter { $0.exePath != nil }
        let wrongExe = withExe.filter { $0.exePath != catPath }
        let withCmdline = alerts.filter { $0.string("proc.cmdline") != nil }
        print("token e2e loop: startup canaries \(canaries.pids.count) (\(canaries.withoutPod) without pod); \(reads) reads in \(loopTime); \(alerts.count) alerts, \(attributed.count) attributed correctly (container, pod, namespace, parent = loop shell), \(distinctPIDs.count) distinct pids; proc.exepath present in \(withExe.count) (\(wrongExe.count) wrong), proc.cmdline present in \(withCmdline.count)")
        XCTAssertEqual(alerts.count, reads, "alerts for \(reads) reads")
        let wrong = alerts.filter { alert in !attributed.contains { $0.pid == alert.pid } }
        XCTAssertEqual(attributed.count, reads, "correctly attributed; wrong ones (first 5): \(wrong.prefix(5).map { "\($0) fields=\($0.fields)" })")
        XCTAssertEqual(distinctPIDs.count, reads, "each cat is its own process")
        // An executable path, when the alert has one, is never someone else's. A missing one is a
        // known gap under CPU load (opener snapshot over its 5 ms budget and the exec event not yet
        // merged; see the report), counted above rather than asserted.
        XCTAssertTrue(wrongExe.isEmpty, "alerts naming another executable: \(wrongExe.prefix(5))")
        if testRun?.hasSucceeded == false { print("monitor log:\n\(scenario.monitor.log)") }
    }

    /// A pod scheduled while the monitor runs whose first process reads the token at once: the
    /// alert must already carry the pod (the container announcement and the open race in the merge).
    func testTokenReadByANewContainersFirstCommandIsAttributedToItsPod() throws {
        let scenario = try startScenario(extraProfile: "version: 1\nsettings:\n  fold_window_seconds: 0\n", monitorFirst: true,
                                         initArgs: ["/bin/sh", "-c", "/usr/bin/cat \(Self.tokenPath) >/dev/null; exec sleep 3600"])
        defer { scenario.tearDown() }
        let initPID = scenario.container.initPID
        let alerts = try scenario.monitor.waitForAlerts(timeout: .seconds(15)) { $0.contains(where: \.isTokenRead) }
        usleep(1_000_000)
        let tokenAlerts = try scenario.monitor.alerts().filter(\.isTokenRead)
        print("token e2e new container: \(tokenAlerts.count) alert(s): \(tokenAlerts)")
        XCTAssertEqual(tokenAlerts.count, 1, "one alert for the init's cat: \(alerts)")
        guard let alert = tokenAlerts.first else { return }
        XCTAssertEqual(alert.containerID, String(scenario.container.id.prefix(12)), "container.id")
        XCTAssertEqual(alert.exePath, realPath("/usr/bin/cat"), "proc.exepath")
        XCTAssertEqual((alert.fields["proc.ppid"] as? NSNumber)?.int32Value, initPID, "the reader is the init shell's child")
        if testRun?.hasSucceeded == false { print("monitor log:\n\(scenario.monitor.log)") }
        // The token open can reach the pipeline before process capture announces the new
        // container; the token stream announces it itself (LiveSources.announcingContainers).
        assertAttributed(alert, to: scenario, exe: realPath("/usr/bin/cat"), "first command of a new container")
    }
}
