// SPDX-License-Identifier: Apache-2.0
// Measurement, not a timed test: runs only with RW_CONNECT_BENCH=1 (bench/connect-storm.sh).
// A runc container in a TEST-NET namespace makes N short (<50 ms) TCP connections, each from its own
// forked process, to a listener on 198.51.100.1; we count how many ConnectCapture reported, how
// many it attributed to the right process (host pid whose NSpid/cgroup match the container child
// that made the connection), and the CPU seconds of the capture's reader thread.

import Foundation
import RuntimeWatchCore
import RuntimeWatchCapture
import RuntimeWatchSystem
import XCTest

final class ConnectStormBenchmark: XCTestCase {
    func testConnectStormFromContainer() throws {
        guard ProcessInfo.processInfo.environment["RW_CONNECT_BENCH"] == "1" else {
            throw XCTSkip("measurement only: run bench/connect-storm.sh (RW_CONNECT_BENCH=1)")
        }
        try requireRoot("connect storm benchmark")
        let count = Int(ProcessInfo.processInfo.environment["RW_CONNECT_COUNT"] ?? "") ?? 1000
        precondition(count > 0 && count <= 5000, "RW_CONNECT_COUNT must be 1...5000")

        let network = try TestNetwork()
        addTeardownBlock { network.teardown() }
        var configuration = RuncContainer.Configuration()
        configuration.networkNamespacePath = network.pathB
        configuration.hostUsr = true
        let container = try RuncContainer(configuration)
        addTeardownBlock { container.stop() }
        try container.start()

        let scratch = try TemporaryDirectory(prefix: "rw-storm")
        defer { scratch.remove() }
        let portFile = scratch.at("port"), acceptedFile = scratch.at("accepted")
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: TestNetwork.ip)
        listener.arguments = ["netns", "exec", network.namespaceA, NetnsListener.python, "-c", Self.listenerScript,
                              TestNetwork.addressA, portFile, acceptedFile, String(count), "60"]
        listener.standardOutput = FileHandle.nullDevice
        try listener.run()
        addTeardownBlock { if listener.isRunning { kill(listener.processIdentifier, SIGKILL) } }
        var port: UInt16 = 0
        XCTAssertTrue(waitUntil(timeout: .seconds(10)) {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { UInt16($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            return port != 0
        })

        var captureConfiguration = ConnectCapture.Configuration()
        captureConfiguration.key = "rw-bench-\(RuncContainer.randomHex(bytes: 3))"
        let capture = ConnectCapture(configuration: captureConfiguration)
        let stream = try capture.start()
        defer { capture.stop() }
        let attributor = StormAttributor(stream, port: port, cgroup: container.cgroupsPath)
        usleep(200_000)
        let captureThread = try XCTUnwrap(Self.threadID(named: "connect-capture"))
        let cpuBefore = Self.threadCPUSeconds(captureThread)
        let wallStart = ContinuousClock.now

        let childrenFile = "/storm-children"  // the rootfs is writable; /tmp is a tmpfs the host cannot see
        let client = try container.exec([ "/usr/bin/python3", "-c", Self.clientScript, TestNetwork.addressA, String(port),
                                          String(count), childrenFile], timeout: .seconds(120))
        XCTAssertEqual(client.status, 0, "\(client)")
        _ = waitUntil(timeout: .seconds(10)) { attributor.matching >= count }
        usleep(500_000)
        let cpuAfter = Self.threadCPUSeconds(captureThread)
        let wall = ContinuousClock.now - wallStart
        _ = CommandRunner.waitForExit(listener, timeout: .seconds(5))

        let childNSPIDs = Set(CommandRunner.readCapped("\(container.bundle)/rootfs\(childrenFile)")
            .split(separator: "\n").compactMap { Int32($0) })
        let accepted = Int(CommandRunner.readCapped(acceptedFile).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        let report = attributor.report(childNSPIDs: childNSPIDs)
        let statistics = capture.statistics
        let line = "connect-storm: connections=\(count) accepted_by_listener=\(accepted) children=\(childNSPIDs.count) "
            + "captured=\(report.captured) attributed_right_pid=\(report.attributed) unresolved_pid_gone=\(report.gone) "
            + "wrong=\(report.wrong) capture_cpu_s=\(String(format: "%.3f", cpuAfter - cpuBefore)) "
            + "cpu_s_per_1000=\(String(format: "%.3f", (cpuAfter - cpuBefore) * 1000 / Double(count))) wall=\(wall) "
            + "stream_drops=\(statistics.streamDrops) overruns=\(statistics.socketOverruns) malformed=\(statistics.malformedRecords) "
            + "proto_unknown=\(statistics.protocolUnknown)"
        print(line)
        try? line.write(toFile: "/tmp/rw-connect-storm.result", atomically: true, encoding: .utf8)
        XCTAssertEqual(report.captured, count, line)
    }

    /// Kernel thread id of this process's thread called `name` (from /proc/self/task/*/comm).
    static func threadID(named name: String) -> Int? {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap(Int.init).first {
            CommandRunner.readCapped("/proc/self/task/\($0)/comm").trimmingCharacters(in: .whitespacesAndNewlines) == name
        }
    }

    /// utime + stime of one thread, in seconds (/proc/self/task/<tid>/stat fields 14 and 15).
    static func threadCPUSeconds(_ tid: Int) -> Double {
        let stat = CommandRunner.readCapped("/proc/self/task/\(tid)/stat")
        guard let close = stat.lastIndex(of: ")") else { return .nan }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// argv: address port_file accepted_file count deadline_seconds. Accepts and closes at once.
    static let listenerScript = #"""
import os, socket, sys, time
address, port_file, accepted_file, count, deadline = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), time.monotonic() + float(sys.argv[5])
server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((address, 0)); server.listen(512)
open(port_file + ".tmp", "w").write(str(server.getsockname()[1])); os.rename(port_file + ".tmp", port_file)
accepted = 0
while accepted < count and time.monotonic() < deadline:
    server.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        conn, _ = server.accept()
    except socket.timeout:
        break
    conn.close(); accepted += 1
open(accepted_file, "w").write(str(accepted))
"""#

    /// argv: address port count children_file. Each connection from its own forked child, which
    /// closes it at once and lingers 300 ms so the host can resolve its pid; at most ~64 alive.
    static let clientScript = #"""
import os, socket, sys, time
address, port, count, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
children, alive = [], 0
for i in range(count):
    while alive >= 64:
        os.waitpid(-1, 0); alive -= 1
    pid = os.fork()
    if pid == 0:
        s = socket.socket(); s.settimeout(None)
        try:
            s.connect((address, port))
        except OSError:
            pass
        s.close(); time.sleep(0.3); os._exit(0)
    children.append(pid); alive += 1
while alive > 0:
    os.waitpid(-1, 0); alive -= 1
open(out, "w").write("\n".join(map(str, children)))
"""#
}

/// Resolves each storm event's host pid to its namespace pid and cgroup while the child lingers.
final class StormAttributor: @unchecked Sendable {
    private let lock = NSLock()
    private var resolved: [(hostPID: Int32, nsPID: Int32?, inContainer: Bool)] = []
    private var task: Task<Void, Never>?
    private let port: UInt16
    private let cgroup: String

    init(_ stream: AsyncStream<EventRecord>, port: UInt16, cgroup: String) {
        self.port = port
        self.cgroup = cgroup
        task = Task { [weak self] in
            for await record in stream {
                guard case .connect(let event) = record.event, event.remotePort == port,
                      event.remoteAddress == TestNetwork.addressA else { continue }
                self?.resolve(event.pid.rawValue)
            }
        }
    }

    deinit { task?.cancel() }

    var matching: Int { lock.withLock { resolved.count } }

    private func resolve(_ pid: Int32) {
        let status = CommandRunner.readCapped("/proc/\(pid)/status")
        let nsPID = status.split(separator: "\n").first { $0.hasPrefix("NSpid:") }
            .flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).last.flatMap { Int32($0) } }
        let inContainer = CommandRunner.readCapped("/proc/\(pid)/cgroup").contains(cgroup)
        lock.withLock { resolved.append((pid, status.isEmpty ? nil : nsPID, inContainer)) }
    }

    /// captured: events to the storm port; attributed: host pid resolved to one of the container's
    /// children (same ns pid, container cgroup); gone: the process had exited before we looked.
    func report(childNSPIDs: Set<Int32>) -> (captured: Int, attributed: Int, gone: Int, wrong: Int) {
        lock.withLock {
            let attributed = resolved.filter { $0.inContainer && $0.nsPID.map(childNSPIDs.contains) == true }.count
            let gone = resolved.filter { $0.nsPID == nil }.count
            return (resolved.count, attributed, gone, resolved.count - attributed - gone)
        }
    }
}
