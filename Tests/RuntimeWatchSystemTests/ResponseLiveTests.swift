// SPDX-License-Identifier: Apache-2.0
// Live, root, a real runc pod-shaped container with a kubelet-style token volume, under the real
// `runtime-watch run` with `responses: {rules: {service-account-token-read: {respond: freeze}}}`:
// a token read in the container freezes its cgroup (v2 `cgroup.events` frozen 1, or v1
// `freezer.state` FROZEN) and a counting loop in it stops; `runtime-watch thaw` resumes it. The
// same read by a host process is refused (never touched). In dry run nothing is frozen, the
// response-taken alert says dry_run and /metrics counts it. A malformed respond sent by SIGHUP is refused and the running
// responses stay. With `respond: kill` under hardening (CAP_KILL and the kill syscall kept), the
// reading process is killed and the rest of the container runs on. Teardown thaws before it stops
// the container. A frozen container's HTTP listener (TEST-NET, in a network namespace the test
// makes) stops answering until the thaw.

import Foundation
import RuntimeWatchSystem
import XCTest

final class ResponseLiveTests: XCTestCase {
    static let serviceAccountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

    struct Pod {
        let container: RuncContainer
        let volume: FakeKubeletVolume
    }

    private func requirements() throws -> FreezerHierarchy {
        try requireRoot("response live test")
        try requireTools([(path: RuncContainer.runc, package: "runc"), (path: BusyboxRootfs.busybox, package: "busybox-static")])
        guard let hierarchy = FreezerHierarchy.detect() else { throw XCTSkip("no cgroup v2 tree or v1 freezer on this host") }
        return hierarchy
    }

    /// A started container in namespace `shop` with its token bound at the in-container path, and a
    /// loop in it that writes an increasing counter to /tmp/progress every 50 ms.
    private func startPod(kubelet: TemporaryDirectory, hierarchy: FreezerHierarchy, network: TestNetwork? = nil) throws -> Pod {
        var configuration = RuncContainer.Configuration()
        configuration.networkNamespacePath = network?.pathB
        configuration.podName = "web-\(RuncContainer.randomHex(bytes: 3))"
        configuration.namespace = "shop"
        let link = kubelet.at("serviceaccount-\(configuration.podName)")
        configuration.binds = [BindMount(hostPath: link, containerPath: Self.serviceAccountPath)]
        let container = try RuncContainer(configuration)
        addTeardownBlock { container.stop() }
        let volume = try FakeKubeletVolume(kubeletRoot: kubelet.path, podUID: container.podUID, token: "eyJhbGciOiJSUzI1NiJ9.web.sig")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: volume.volumeDir)
        try container.start()
        // Registered after stop, so it runs first: a frozen container must be thawed to be killed
        // (cgroup v1 delivers no signal to frozen tasks), and no cgroup may stay frozen.
        addTeardownBlock { _ = hierarchy.setFrozen(false, cgroup: container.cgroupsPath) }
        try container.execDetached(["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /tmp/progress; sleep 0.05; done"])
        return Pod(container: container, volume: volume)
    }

    private func progress(_ pod: Pod) -> Int? {
        let text = (try? String(contentsOfFile: "/proc/\(pod.container.initPID)/root/tmp/progress", encoding: .utf8)) ?? ""
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// True if the counter moves within a second.
    private func advances(_ pod: Pod) -> Bool {
        let start = progress(pod) ?? -1
        return waitUntil(timeout: .seconds(1)) { (progress(pod) ?? -1) > start }
    }

    private func isFrozen(_ pod: Pod, _ hierarchy: FreezerHierarchy) -> Bool {
        switch hierarchy {
        case .v2(let root):
            let events = (try? String(contentsOfFile: root + pod.container.cgroupsPath + "/cgroup.events", encoding: .utf8)) ?? ""
            return events.split(separator: "\n").contains("frozen 1")
        case .v1(let root):
            let state = (try? String(contentsOfFile: root + pod.container.cgroupsPath + "/freezer.state", encoding: .utf8)) ?? ""
            return state.trimmingCharacters(in: .whitespacesAndNewlines) == "FROZEN"
        }
    }

    private func startMonitor(profile: String, kubelet: TemporaryDirectory, scratch: TemporaryDirectory,
                              listen: String = "off") throws -> (EgressLiveChild, String) {
        let profilePath = scratch.at("profile.yaml"), alertsPath = scratch.at("alerts.jsonl")
        try Data(profile.utf8).write(to: URL(fileURLWithPath: profilePath))
        let monitor = try EgressLiveChild(arguments: ["run", "--profile", profilePath, "--output", alertsPath, "--listen", listen,
                                                      "--kubelet-root", kubelet.path, "--duration", "90"],
                                          scratch: scratch, logName: "run.log")
        addTeardownBlock { monitor.stop() }
        guard monitor.waitForLog("monitoring", timeout: .seconds(30)) else { throw HarnessError("monitor not ready:\n\(monitor.log)") }
        usleep(1_500_000) // the token watcher marks its files after process capture starts
        return (monitor, alertsPath)
    }

    /// Runs a python3 one-liner on the host (loopback only) and returns its stdout.
    private func python(_ code: String) throws -> String {
        let result = try CommandRunner.run([NetnsListener.python, "-c", code], timeout: .seconds(10))
        guard result.status == 0 else { throw HarnessError("python3 -c \(code): \(result)") }
        return result.stdout
    }

    private func responses(in path: String, container: String) -> [EndToEndAlert] {
        ((try? egressLiveAlerts(in: path)) ?? []).filter { $0.ruleID == "response-taken" && $0.containerID == container }
    }

    func testTokenReadFreezesTheContainerThawResumesItAndAHostReaderIsNeverTouched() throws {
        let hierarchy = try requirements()
        let scratch = try TemporaryDirectory(prefix: "rw-response")
        addTeardownBlock { scratch.remove() }
        let kubelet = try TemporaryDirectory(prefix: "rw-kubelet")
        addTeardownBlock { kubelet.remove() }
        let pod = try startPod(kubelet: kubelet, hierarchy: hierarchy)
        let short = String(pod.container.id.prefix(12))
        XCTAssertTrue(advances(pod), "the counting loop runs before any response")

        // No folding: the second read below (same busybox executable, same token) must alert again.
        let (monitor, alertsPath) = try startMonitor(profile: """
            version: 1
            settings: {fold_window_seconds: 0}
            responses:
              rules:
                service-account-token-read: {respond: freeze}
            """, kubelet: kubelet, scratch: scratch)

        // A host process reads the same token: alerted, but the response is refused.
        let host = Process()
        host.executableURL = URL(fileURLWithPath: "/bin/sh")
        host.arguments = ["-c", "cat \(pod.volume.tokenPath) >/dev/null; sleep 3"]
        try host.run()
        addTeardownBlock { CommandRunner.terminate(host) }
        func all() -> [EndToEndAlert] { (try? egressLiveAlerts(in: alertsPath)) ?? [] }
        XCTAssertTrue(waitUntil(timeout: .seconds(10)) { all().contains { $0.ruleID == "response-taken" && $0.containerID == "host" } },
                      "a response-taken for the host reader:\n\(all())\nlog:\n\(monitor.log)")
        let hostResponse = all().first { $0.ruleID == "response-taken" && $0.containerID == "host" }
        XCTAssertEqual(hostResponse?.string("rw.response.result"), "refused", "\(String(describing: hostResponse))")
        XCTAssertTrue(host.isRunning, "the host reader is untouched (still sleeping)")
        XCTAssertTrue(advances(pod), "a host read froze nothing")

        // Detached: the freeze can land before `cat` has written anything, and a frozen `cat` would
        // hold a waiting `runc exec` until the thaw.
        try pod.container.execDetached(["cat", Self.serviceAccountPath + "/token"])
        XCTAssertTrue(waitUntil(timeout: .seconds(10)) { isFrozen(pod, hierarchy) }, "container frozen after its token read; log:\n\(monitor.log)")
        XCTAssertTrue(waitUntil(timeout: .seconds(5)) { !responses(in: alertsPath, container: short).isEmpty })
        let response = try XCTUnwrap(responses(in: alertsPath, container: short).first, "\(all())")
        XCTAssertEqual(response.string("rw.response.action"), "freeze")
        XCTAssertEqual(response.string("rw.response.result"), "done", "\(response)")
        XCTAssertEqual(response.string("rw.response.dry_run"), "false")
        XCTAssertEqual(response.string("k8s.pod.name"), pod.container.configuration.podName)
        let eventTime = try XCTUnwrap((response.fields["rw.response.trigger_time"] as? NSNumber)?.int64Value)
        let frozenAt = try XCTUnwrap((response.fields["evt.time"] as? NSNumber)?.int64Value)
        let latency = Double(frozenAt - eventTime) / 1e6
        print("response latency: token read event → cgroup frozen: \(latency) ms")
        XCTAssertLessThan(latency, 100, "frozen within 100 ms of the token read")

        let frozenValue = progress(pod)
        XCTAssertFalse(advances(pod), "no progress while frozen (counter stayed at \(String(describing: frozenValue)))")

        let thaw = try CommandRunner.run([try runtimeWatchBinary(), "thaw", short], timeout: .seconds(30))
        XCTAssertEqual(thaw.status, 0, "\(thaw)")
        XCTAssertFalse(isFrozen(pod, hierarchy), "thawed: \(thaw)")
        XCTAssertTrue(advances(pod), "the loop resumes after thaw")

        // A malformed respond on SIGHUP is refused with file:line:column; the running responses stay.
        let profilePath = scratch.at("profile.yaml")
        try Data("version: 1\nresponses:\n  rules:\n    service-account-token-read: {respond: frreze}\n".utf8)
            .write(to: URL(fileURLWithPath: profilePath))
        kill(monitor.process.processIdentifier, SIGHUP)
        XCTAssertTrue(monitor.waitForLog("profile reload refused", timeout: .seconds(10)), monitor.log)
        XCTAssertTrue(monitor.log.contains("\(profilePath):4:43: unknown response 'frreze'"), monitor.log)
        try pod.container.execDetached(["cat", Self.serviceAccountPath + "/token"])
        XCTAssertTrue(waitUntil(timeout: .seconds(10)) { isFrozen(pod, hierarchy) }, "the running profile still freezes; log:\n\(monitor.log)")
        XCTAssertEqual(try CommandRunner.run([try runtimeWatchBinary(), "thaw", pod.container.id], timeout: .seconds(30)).status, 0,
                       "thaw also takes the full id")
        XCTAssertTrue(advances(pod))
        monitor.stop()
        XCTAssertTrue(host.isRunning || host.terminationStatus == 0, "the host reader was never killed")
    }

    func testDryRunFreezesNothingAndSaysSo() throws {
        let hierarchy = try requirements()
        try requireTools([(path: NetnsListener.python, package: "python3")])
        let scratch = try TemporaryDirectory(prefix: "rw-response-dry")
        addTeardownBlock { scratch.remove() }
        let kubelet = try TemporaryDirectory(prefix: "rw-kubelet")
        addTeardownBlock { kubelet.remove() }
        let pod = try startPod(kubelet: kubelet, hierarchy: hierarchy)
        let short = String(pod.container.id.prefix(12))
        let port = try python("import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let (monitor, alertsPath) = try startMonitor(profile: """
            version: 1
            responses:
              rules:
                service-account-token-read: {respond: freeze, respond_dry_run: true}
            """, kubelet: kubelet, scratch: scratch, listen: "127.0.0.1:\(port)")

        XCTAssertEqual(try pod.container.exec(["cat", Self.serviceAccountPath + "/token"]).stdout, "eyJhbGciOiJSUzI1NiJ9.web.sig")
        XCTAssertTrue(waitUntil(timeout: .seconds(10)) { !responses(in: alertsPath, container: short).isEmpty }, "log:\n\(monitor.log)")
        let response = try XCTUnwrap(responses(in: alertsPath, container: short).first)
        XCTAssertEqual(response.string("rw.response.dry_run"), "true")
        XCTAssertEqual(response.string("rw.response.result"), "dry_run")
        XCTAssertFalse(isFrozen(pod, hierarchy))
        XCTAssertTrue(advances(pod), "dry run changed nothing")
        let metrics = try python("import urllib.request as u; print(u.urlopen('http://127.0.0.1:\(port)/metrics', timeout=5).read().decode())")
        let counted = metrics.split(separator: "\n").filter {
            $0.hasPrefix("runtime_watch_responses_total{") && $0.contains("action=\"freeze\"") && $0.contains("result=\"dry_run\"")
        }
        XCTAssertEqual(counted.map { $0.split(separator: " ").last.map(String.init) }, ["1"], "one dry-run freeze counted:\n\(metrics)")
        monitor.stop()
    }

    func testKillResponseKillsTheReaderUnderHardeningAndLeavesTheContainerRunning() throws {
        let hierarchy = try requirements()
        let scratch = try TemporaryDirectory(prefix: "rw-response-kill")
        addTeardownBlock { scratch.remove() }
        let kubelet = try TemporaryDirectory(prefix: "rw-kubelet")
        addTeardownBlock { kubelet.remove() }
        let pod = try startPod(kubelet: kubelet, hierarchy: hierarchy)
        let short = String(pod.container.id.prefix(12))
        let (monitor, alertsPath) = try startMonitor(profile: """
            version: 1
            responses:
              rules:
                service-account-token-read: {respond: kill}
            """, kubelet: kubelet, scratch: scratch)
        XCTAssertTrue(monitor.log.contains("kept CAP_DAC_READ_SEARCH,CAP_KILL,CAP_SYS_PTRACE"), "CAP_KILL kept for a kill response:\n\(monitor.log)")

        // The shell itself opens the token (a redirect), then lives on: the alert's proc.pid.
        let reader = try pod.container.execDetached(["sh", "-c", "read t < \(Self.serviceAccountPath)/token; sleep 60"])
        XCTAssertTrue(waitUntil(timeout: .seconds(10)) { !responses(in: alertsPath, container: short).isEmpty }, "log:\n\(monitor.log)")
        let response = try XCTUnwrap(responses(in: alertsPath, container: short).first)
        XCTAssertEqual(response.string("rw.response.action"), "kill")
        XCTAssertEqual(response.string("rw.response.result"), "done", "\(response)\nlog:\n\(monitor.log)")
        XCTAssertEqual(response.pid, reader, "the offending process, by its host pid")
        XCTAssertTrue(waitUntil(timeout: .seconds(5)) { kill(reader, 0) != 0 }, "the reader is gone")
        XCTAssertTrue(advances(pod), "the rest of the container runs on")
        XCTAssertFalse(isFrozen(pod, hierarchy))
        XCTAssertFalse(monitor.log.contains("seccomp refused"), monitor.log)
        monitor.stop()
    }

    func testAFrozenContainersListenerStopsAnsweringUntilThawed() throws {
        let hierarchy = try requirements()
        try requireTools([(path: TestNetwork.ip, package: "iproute2"), (path: NetnsListener.python, package: "python3")])
        let scratch = try TemporaryDirectory(prefix: "rw-response-net")
        addTeardownBlock { scratch.remove() }
        let kubelet = try TemporaryDirectory(prefix: "rw-kubelet")
        addTeardownBlock { kubelet.remove() }
        let network = try TestNetwork()
        addTeardownBlock { network.teardown() }
        let pod = try startPod(kubelet: kubelet, hierarchy: hierarchy, network: network)
        // An HTTP listener in the container on 198.51.100.2:8080 (TEST-NET, namespace B only).
        try pod.container.execDetached(["sh", "-c", "echo alive > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"])
        func ask() -> String {
            // python3 from namespace A, 2 s timeout (busybox wget crashes on this host).
            let get = "import urllib.request as u; print(u.urlopen('http://\(TestNetwork.addressB):8080/index.html', timeout=2).read().decode(), end='')"
            let result = try? CommandRunner.run([TestNetwork.ip, "netns", "exec", network.namespaceA, NetnsListener.python, "-c", get],
                                                timeout: .seconds(10))
            return result?.stdout ?? ""
        }
        XCTAssertTrue(waitUntil(timeout: .seconds(5)) { ask() == "alive\n" }, "the listener answers before any response")

        let (monitor, _) = try startMonitor(profile: """
            version: 1
            responses:
              rules:
                service-account-token-read: {respond: freeze}
            """, kubelet: kubelet, scratch: scratch)
        try pod.container.execDetached(["cat", Self.serviceAccountPath + "/token"])
        XCTAssertTrue(waitUntil(timeout: .seconds(10)) { isFrozen(pod, hierarchy) }, "log:\n\(monitor.log)")
        XCTAssertEqual(ask(), "", "a frozen listener does not answer")
        let thaw = try CommandRunner.run([try runtimeWatchBinary(), "thaw", String(pod.container.id.prefix(12))], timeout: .seconds(30))
        XCTAssertEqual(thaw.status, 0, "\(thaw)")
        XCTAssertTrue(waitUntil(timeout: .seconds(5)) { ask() == "alive\n" }, "it answers again after thaw")
        monitor.stop()
    }
}
