// SPDX-License-Identifier: Apache-2.0
// Live: a real runc container with a kubepods cgroup and CRI annotations. Its init's /proc cgroup
// parses to its id and pod, OCIMetadataReader resolves its pod identity from runc's real state on
// this host, exec works without a tty, and stop() leaves nothing behind. Root only.

import Foundation
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

final class ContainersRuncLiveTests: XCTestCase {
    static let tools = [(path: RuncContainer.runc, package: "runc"), (path: BusyboxRootfs.busybox, package: "busybox-static")]

    override func setUpWithError() throws {
        try requireRoot("runc container tests")
        try requireTools(Self.tools)
    }

    /// A started container that the test's teardown stops even if the test fails midway.
    private func startedContainer(_ configuration: RuncContainer.Configuration = .init()) throws -> RuncContainer {
        let container = try RuncContainer(configuration)
        addTeardownBlock { container.stop() }
        try container.start()
        return container
    }

    /// The cgroup paths of `pid` (third field of each /proc/<pid>/cgroup line).
    private func cgroupPaths(of pid: Int32) throws -> [String] {
        let text = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).dropFirst(2).first.map(String.init)
        }
    }

    func testInitCgroupParsesToContainerAndPodAndOCIStateResolves() throws {
        var configuration = RuncContainer.Configuration()
        configuration.podName = "token-reader-7f9c"
        configuration.namespace = "payments"
        configuration.containerName = "reader"
        configuration.image = "registry.example.com/tools/reader:1.0"
        let container = try startedContainer(configuration)

        let paths = try cgroupPaths(of: container.initPID)
        XCTAssertFalse(paths.isEmpty)
        for path in paths {
            let match = try XCTUnwrap(CgroupParser.parse(path), "cgroup \(path) did not parse")
            XCTAssertEqual(match.id.rawValue, container.id)
            XCTAssertEqual(match.podUID, container.podUID)
        }

        // The real host layout: runc's state in /run/runc names the bundle in the temp dir.
        let match = try XCTUnwrap(CgroupParser.parse(paths[0]))
        let metadata = try OCIMetadataReader().read(match)
        XCTAssertEqual(metadata.info.podName, "token-reader-7f9c")
        XCTAssertEqual(metadata.info.namespace, "payments")
        XCTAssertEqual(metadata.info.containerName, "reader")
        XCTAssertEqual(metadata.info.image, "registry.example.com/tools/reader:1.0")
        XCTAssertEqual(metadata.info.entrypoint, ["sleep", "3600"])
        XCTAssertEqual(metadata.info.podUID, container.podUID)
        XCTAssertEqual(metadata.info.qosClass, match.qosClass)
        XCTAssertEqual(metadata.info.runtime, "containerd", "CRI annotations name the runtime")
        XCTAssertEqual(metadata.info.bundle, container.bundle + "/config.json")
        XCTAssertEqual(metadata.statePath, container.statePath)
        XCTAssertEqual(metadata.kind, .container)
    }

    func testExecRunsInsideTheContainerAndReturnsOutputAndStatus() throws {
        let container = try startedContainer()

        let id = try container.exec(["id"])
        XCTAssertEqual(id.status, 0, "\(id)")
        XCTAssertTrue(id.stdout.hasPrefix("uid=0(root) gid=0(root)"), "\(id)")

        let mixed = try container.exec(["sh", "-c", "echo out; echo err >&2; exit 3"])
        XCTAssertEqual(mixed.status, 3)
        XCTAssertEqual(mixed.stdout, "out\n")
        XCTAssertEqual(mixed.stderr, "err\n")

        // The exec'd process joined the container's cgroup, and sees the rootfs, not the host's.
        let cgroup = try container.exec(["cat", "/proc/self/cgroup"])
        XCTAssertTrue(cgroup.stdout.contains(container.cgroupsPath), cgroup.stdout)
        let hostname = try container.exec(["hostname"])
        XCTAssertEqual(hostname.stdout, container.configuration.podName + "\n")
        XCTAssertEqual(try container.exec(["test", "-e", "/usr/bin/python3"]).status, 1, "no host /usr unless asked")
    }

    func testExecIsBoundedInTime() throws {
        let container = try startedContainer()

        let slow = try container.exec(["sleep", "30"], timeout: .seconds(1))

        XCTAssertTrue(slow.timedOut)
        XCTAssertNotEqual(slow.status, 0)
    }

    func testExecDetachedReturnsAHostPIDInTheContainerCgroup() throws {
        let container = try startedContainer()

        let pid = try container.execDetached(["sleep", "30"])

        XCTAssertGreaterThan(pid, 0)
        XCTAssertNotEqual(pid, container.initPID)
        let paths = try cgroupPaths(of: pid)
        XCTAssertTrue(paths.allSatisfy { $0 == container.cgroupsPath }, "\(paths)")
        let cmdline = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
        XCTAssertEqual(cmdline, "sleep\u{0}30\u{0}")
    }

    func testBindsAndHostUsrAreVisibleReadOnly() throws {
        let secrets = try TemporaryDirectory(prefix: "rw-sa")
        defer { secrets.remove() }
        try secrets.write("eyJhbGciOiJSUzI1NiJ9.test-token", to: "token")
        try secrets.write("rw-test", to: "namespace")
        var configuration = RuncContainer.Configuration()
        configuration.hostUsr = true
        configuration.binds = [BindMount(hostPath: secrets.path, containerPath: "/var/run/secrets/kubernetes.io/serviceaccount")]
        let container = try startedContainer(configuration)

        let token = try container.exec(["cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"])
        XCTAssertEqual(token.stdout, "eyJhbGciOiJSUzI1NiJ9.test-token")
        let write = try container.exec(["sh", "-c", "echo x > /var/run/secrets/kubernetes.io/serviceaccount/token"])
        XCTAssertNotEqual(write.status, 0, "the serviceaccount bind must be read-only")
        XCTAssertTrue(write.stderr.contains("Read-only file system"), write.stderr)

        let python = try container.exec(["/usr/bin/python3", "-c", "import os; print(os.getpid() > 0)"])
        XCTAssertEqual(python.status, 0, "\(python)")
        XCTAssertEqual(python.stdout, "True\n")
        XCTAssertNotEqual(try container.exec(["touch", "/usr/rw-probe"]).status, 0, "host /usr must be read-only")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/usr/rw-probe"))
    }

    func testStopRemovesRuncStateCgroupsAndBundle() throws {
        let container = try RuncContainer()
        addTeardownBlock { container.stop() }
        try container.start()
        let hierarchies = RuncContainer.cgroupMountPoints()
        XCTAssertFalse(hierarchies.isEmpty)
        let podDirectory = (container.cgroupsPath as NSString).deletingLastPathComponent
        XCTAssertTrue(hierarchies.contains { FileManager.default.fileExists(atPath: $0 + container.cgroupsPath) })
        XCTAssertTrue(RuncContainer.listContainerIDs().contains(container.id))

        container.stop()

        XCTAssertFalse(RuncContainer.listContainerIDs().contains(container.id))
        XCTAssertFalse(FileManager.default.fileExists(atPath: container.statePath))
        XCTAssertFalse(FileManager.default.fileExists(atPath: container.bundle))
        // Dead means gone or a zombie: this machine's PID 1 reaps orphaned container inits lazily.
        let stat = (try? String(contentsOfFile: "/proc/\(container.initPID)/stat", encoding: .utf8)) ?? ""
        let state = stat.range(of: ") ").map { stat[$0.upperBound...].prefix(1) } ?? ""
        XCTAssertTrue(stat.isEmpty || state == "Z", "init \(container.initPID) still alive: \(stat)")
        for hierarchy in hierarchies {
            XCTAssertFalse(FileManager.default.fileExists(atPath: hierarchy + container.cgroupsPath), hierarchy)
            XCTAssertFalse(FileManager.default.fileExists(atPath: hierarchy + podDirectory), hierarchy)
        }
    }
}
