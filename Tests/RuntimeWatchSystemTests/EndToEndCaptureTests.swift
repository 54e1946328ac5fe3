// SPDX-License-Identifier: Apache-2.0
// Live end to end, capture → state: a kubepods-shaped runc container with CRI annotations, the real
// proc connector and OCI metadata reader, and a SystemState fed every captured record. Checks what the
// detectors rely on: container attribution of exec events, the pod metadata announced before them,
// exe/argv, the parent chain, and processes that were already running when the monitor started.
// Root only (skips otherwise); every wait is bounded and teardown removes the container.

import Foundation
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

final class EndToEndCaptureTests: XCTestCase {
    static let tools = [(path: RuncContainer.runc, package: "runc"), (path: BusyboxRootfs.busybox, package: "busybox-static")]
    /// The trailing echo keeps busybox sh from exec-ing cat in its own place (it does so for a last
    /// command). cat then blocks opening the fifo /root/gate, so it is alive when capture reads its
    /// /proc entry (a cat that exits first may be reported without argv); `openGate` releases it.
    static let script = "echo one; /bin/cat /etc/hostname /root/gate; echo two"
    static let catArgv = ["/bin/cat", "/etc/hostname", "/root/gate"]

    private var capture: LiveCapture?

    override func setUpWithError() throws {
        try requireRoot("end-to-end capture tests")
        try requireTools(Self.tools)
    }

    override func tearDown() {
        capture?.stop()
        capture = nil
    }

    private func podConfiguration() -> RuncContainer.Configuration {
        var configuration = RuncContainer.Configuration()
        configuration.podName = "checkout-5b8d9-qx2lp"
        configuration.namespace = "payments"
        configuration.containerName = "checkout"
        configuration.image = "registry.example.com/payments/checkout:2.3.1"
        return configuration
    }

    /// A container whose stop() runs at teardown even when the test fails midway.
    private func startedContainer(_ configuration: RuncContainer.Configuration, beforeStart: (RuncContainer) throws -> Void = { _ in }) throws -> RuncContainer {
        let container = try RuncContainer(configuration)
        addTeardownBlock { container.stop() }
        // Container runtimes provide /etc/hostname (CRI bind-mounts it); the busybox rootfs has none.
        try Data((configuration.podName + "\n").utf8).write(to: URL(fileURLWithPath: container.bundle + "/rootfs/etc/hostname"))
        guard mkfifo(container.bundle + "/rootfs/root/gate", 0o600) == 0 else { throw HarnessError("mkfifo gate: errno \(errno)") }
        try beforeStart(container)
        try container.start()
        return container
    }

    /// Starts capture with the startup snapshot and OCI metadata, as `runtime-watch run` does
    /// (LiveCapture).
    /// Lets the cat blocked on /root/gate finish (writes one line into the fifo).
    private func openGate(_ container: RuncContainer) throws {
        let result = try container.exec(["/bin/sh", "-c", "echo gate > /root/gate"])
        XCTAssertEqual(result.status, 0, "\(result)")
    }

    private func startCapture() throws -> EventCollector {
        let capture = LiveCapture.processesOnly(snapshot: true)
        let collector = EventCollector(capture.records())
        try capture.start()
        self.capture = capture
        return collector
    }

    private func state(from records: [EventRecord]) -> SystemState {
        var state = SystemState()
        for record in records { state.apply(record) }
        return state
    }

    private func assertPodMetadata(_ info: ContainerInfo?, of container: RuncContainer, file: StaticString = #filePath, line: UInt = #line) {
        guard let info else { return XCTFail("no container info for \(container.id)", file: file, line: line) }
        XCTAssertEqual(info.id.rawValue, container.id, file: file, line: line)
        XCTAssertEqual(info.podUID, container.podUID, file: file, line: line)
        XCTAssertEqual(info.podName, "checkout-5b8d9-qx2lp", file: file, line: line)
        XCTAssertEqual(info.namespace, "payments", file: file, line: line)
        XCTAssertEqual(info.containerName, "checkout", file: file, line: line)
        XCTAssertEqual(info.image, "registry.example.com/payments/checkout:2.3.1", file: file, line: line)
    }

    /// The first exec whose argv is `argv` in the container's cgroup.
    private func exec(_ argv: [String], in container: RuncContainer) -> ([EventRecord]) -> (index: Int, info: RuntimeWatchCore.ProcessInfo)? {
        { records in
            for (index, record) in records.enumerated() {
                if case .exec(let p) = record.event, p.argv == argv, p.cgroup?.contains(container.id) == true { return (index, p) }
            }
            return nil
        }
    }

    /// `runc exec` of sh → cat: both exec events carry the container (cgroup parses to its id), the
    /// `.container` event with the pod identity precedes them, exe and argv are right, and cat's
    /// ancestry holds the sh. runc exec'd processes are children of the host-side `runc exec`, not of
    /// the container's init, so their chain continues on the host (checked, not assumed); the next
    /// test covers a chain that reaches the init.
    func testRuncExecIsAttributedToTheContainerWithPodMetadataAndAncestry() async throws {
        let container = try startedContainer(podConfiguration())
        let collector = try startCapture()
        _ = try await collector.waitFor("snapshot of the container's init \(container.initPID)") { records in
            records.first { if case .snapshot(let p) = $0.event { p.pid.rawValue == container.initPID } else { false } }
        }

        let outputPath = container.bundle + "/script.out"
        try container.execDetached(["/bin/sh", "-c", Self.script], outputPath: outputPath)
        let cat = try await collector.waitFor("exec of cat in the container", exec(Self.catArgv, in: container))
        try openGate(container)
        XCTAssertTrue(waitUntil(timeout: .seconds(10)) { CommandRunner.readCapped(outputPath).hasSuffix("two\n") })
        XCTAssertEqual(CommandRunner.readCapped(outputPath), "one\n\(container.configuration.podName)\ngate\ntwo\n")
        let sh = try XCTUnwrap(exec(["/bin/sh", "-c", Self.script], in: container)(collector.all), "exec of sh")
        let records = collector.all
        let containerIndex = try XCTUnwrap(records.index { if case .container(let c) = $0 { c.id.rawValue == container.id } else { false } },
                                           "no .container event for \(container.id)")
        XCTAssertLessThan(containerIndex, sh.index, ".container must precede the container's first exec")
        XCTAssertLessThan(sh.index, cat.index)
        if case .container(let info) = records[containerIndex].event { assertPodMetadata(info, of: container) }

        for (name, event) in [("sh", sh.info), ("cat", cat.info)] {
            XCTAssertEqual(SystemState.containerID(forCgroup: event.cgroup)?.rawValue, container.id, "\(name) cgroup \(event.cgroup ?? "nil")")
            XCTAssertEqual(event.exe, "/bin/busybox", "\(name): busybox applets are symlinks to /bin/busybox in the rootfs")
        }
        XCTAssertEqual(cat.info.comm, "cat")
        XCTAssertEqual(cat.info.ppid, sh.info.pid)

        let state = state(from: records)
        XCTAssertEqual(state.process(cat.info.pid)?.container?.rawValue, container.id)
        XCTAssertEqual(state.process(cat.info.pid)?.attribution, .cgroup)
        assertPodMetadata(state.container(state.process(cat.info.pid)?.container), of: container)
        let ancestry = state.ancestry(of: cat.info.pid)
        XCTAssertEqual(ancestry.first?.pid, sh.info.pid, "cat's parent is the sh: \(ancestry.map(\.pid))")
        // The sh's parent is on the host (runc exec, or the host's reaper once `runc exec --detach`
        // has exited), never the container's init: exec'd processes are not the init's descendants.
        let shParent = try XCTUnwrap(ancestry.dropFirst().first, "the sh's parent is known")
        XCTAssertNil(shParent.container, "the sh's parent is a host process: \(shParent.pid) \(shParent.info.comm ?? "?")")
        XCTAssertFalse(ancestry.contains { $0.pid.rawValue == container.initPID })
    }

    /// The container's init started before the monitor: known from the snapshot with its container
    /// and pod metadata. It then runs sh → cat (released through a fifo once capture runs), and cat's
    /// ancestry goes sh → init, ending at the init's host pid.
    func testInitStartedBeforeMonitorIsKnownFromSnapshotAndItsChildrenChainToIt() async throws {
        var configuration = podConfiguration()
        configuration.args = ["/bin/sh", "-c", "read go < /root/go; /bin/sh -c '\(Self.script)'; exec sleep 3600"]
        let container = try startedContainer(configuration) { container in
            guard mkfifo(container.bundle + "/rootfs/root/go", 0o600) == 0 else { throw HarnessError("mkfifo: errno \(errno)") }
        }
        let initPID = ProcessID(container.initPID)
        let collector = try startCapture()
        let snapshot = try await collector.waitFor("snapshot of init \(initPID)") { records in
            records.lazy.compactMap { if case .snapshot(let p) = $0.event, p.pid == initPID { p } else { nil } }.first
        }
        XCTAssertEqual(snapshot.argv, configuration.args)
        XCTAssertEqual(SystemState.containerID(forCgroup: snapshot.cgroup)?.rawValue, container.id)

        let release = try container.exec(["/bin/sh", "-c", "echo go > /root/go"])
        XCTAssertEqual(release.status, 0, "\(release)")
        let cat: (index: Int, info: RuntimeWatchCore.ProcessInfo)
        do {
            cat = try await collector.waitFor("exec of cat under init", exec(Self.catArgv, in: container))
        } catch {
            let execs = collector.all.compactMap { if case .exec(let p) = $0.event, p.cgroup?.contains(container.id) == true { p.argv } else { nil } }
            XCTFail("container execs: \(execs); init output: \(CommandRunner.readCapped(container.bundle + "/init.out")) \(CommandRunner.readCapped(container.bundle + "/init.err"))")
            throw error
        }
        let sh = try XCTUnwrap(exec(["/bin/sh", "-c", Self.script], in: container)(collector.all), "exec of the inner sh")
        // The state while cat is blocked on the gate (afterwards the init execs sleep and is redefined).
        let state = state(from: collector.all)
        try openGate(container)
        XCTAssertTrue(waitUntil(timeout: .seconds(10)) { CommandRunner.readCapped(container.bundle + "/init.out").hasSuffix("two\n") })

        let initRecord = try XCTUnwrap(state.process(initPID), "init is in the state")
        XCTAssertEqual(initRecord.origin, .snapshot, "init was running before the monitor")
        XCTAssertEqual(initRecord.container?.rawValue, container.id)
        assertPodMetadata(state.container(initRecord.container), of: container)

        let chain = state.ancestry(of: cat.info.pid).map(\.pid)
        XCTAssertEqual(Array(chain.prefix(2)), [sh.info.pid, initPID], "cat → sh → init; chain \(chain)")
        XCTAssertEqual(sh.info.ppid, initPID)
        for pid in [cat.info.pid, sh.info.pid] {
            XCTAssertEqual(state.process(pid)?.container?.rawValue, container.id, "pid \(pid)")
        }
    }
}
