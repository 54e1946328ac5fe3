// SPDX-License-Identifier: Apache-2.0
// Helpers for the live egress tests: any `runtime-watch` subcommand as a bounded child process, a
// multi-port TCP listener in namespace A that keeps the same ports across a learn and a run phase,
// and a one-shot connect from inside the container (host python3 via the hostUsr binds).

import Foundation
import Glibc
import XCTest

/// One `runtime-watch <args>` child; stdout and stderr go to `logPath`. `stop()` is SIGTERM, then
/// SIGKILL after 10 s. Never outlives the test: deinit stops it.
final class EgressLiveChild {
    let process = Process()
    let logPath: String

    /// Starts `<runtimeWatchBinary()> <arguments>` with its log in `scratch`/`logName`.
    /// - Throws: `HarnessError` when the binary is missing or cannot be started.
    init(arguments: [String], scratch: TemporaryDirectory, logName: String) throws {
        logPath = scratch.at(logName)
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else { throw HarnessError("cannot create \(logPath)") }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        defer { try? log.close() }
        process.executableURL = URL(fileURLWithPath: try runtimeWatchBinary())
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var log: String { CommandRunner.readCapped(logPath) }

    /// Waits until the log contains `text` while the child runs; returns false on exit or timeout.
    func waitForLog(_ text: String, timeout: Duration) -> Bool {
        waitUntil(timeout: timeout) { !self.process.isRunning || self.log.contains(text) } && process.isRunning
    }

    /// Waits for the child to exit by itself (bounded); returns its exit status, nil on timeout.
    func waitForExit(timeout: Duration) -> Int32? {
        CommandRunner.waitForExit(process, timeout: timeout) ? process.terminationStatus : nil
    }

    /// SIGTERM, wait up to 10 s, then SIGKILL. Idempotent.
    func stop() { CommandRunner.terminate(process) }

    deinit { stop() }
}

/// Every complete JSON alert line in `path` (a last line without newline is left out).
/// - Throws: `HarnessError` naming the line when a complete line is not a JSON object.
func egressLiveAlerts(in path: String) throws -> [EndToEndAlert] {
    var text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    if let lastNewline = text.lastIndex(of: "\n") { text = String(text[...lastNewline]) } else { text = "" }
    return try text.split(separator: "\n").enumerated().map { index, line in
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw HarnessError("\(path) line \(index + 1) is not a JSON object: \(line.prefix(200))")
        }
        return EndToEndAlert(object)
    }
}

/// A TCP listener on `portCount` kernel-chosen ports of 198.51.100.1 in namespace A. It accepts and
/// immediately closes connections until `maxConnections` were accepted or `timeout` passed, so the
/// same ports serve both a learn phase and a later run phase. Killed on deinit.
final class EgressLiveListener {
    let ports: [UInt16]
    private let process: Process
    private let scratch: TemporaryDirectory
    private let acceptedPath: String

    init(network: TestNetwork, portCount: Int, maxConnections: Int, timeout: Duration) throws {
        let scratch = try TemporaryDirectory(prefix: "rw-egress-listener")
        let readyFile = scratch.at("ports"), acceptedPath = scratch.at("accepted"), errPath = scratch.at("stderr")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestNetwork.ip)
        process.arguments = ["netns", "exec", network.namespaceA, NetnsListener.python, "-c", Self.script,
                             TestNetwork.addressA, readyFile, acceptedPath, String(portCount), String(maxConnections),
                             String(timeout.components.seconds)]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        do {
            guard FileManager.default.createFile(atPath: errPath, contents: nil) else { throw HarnessError("cannot create \(errPath)") }
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
            try process.run()
        } catch {
            scratch.remove()
            throw HarnessError("cannot start egress listener: \(error)")
        }
        var chosen: [UInt16] = []
        _ = waitUntil(timeout: .seconds(10)) {
            chosen = ((try? String(contentsOfFile: readyFile, encoding: .utf8)) ?? "").split(separator: " ").compactMap { UInt16($0) }
            return chosen.count == portCount || !process.isRunning
        }
        guard chosen.count == portCount else {
            let stderr = CommandRunner.readCapped(errPath)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            _ = CommandRunner.waitForExit(process, timeout: .seconds(2))
            scratch.remove()
            throw HarnessError("egress listener did not start: \(stderr)")
        }
        self.ports = chosen
        self.process = process
        self.scratch = scratch
        self.acceptedPath = acceptedPath
    }

    /// Local ports of the connections accepted so far, in order.
    var accepted: [UInt16] {
        ((try? String(contentsOfFile: acceptedPath, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { UInt16($0) }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        _ = CommandRunner.waitForExit(process, timeout: .seconds(2))
        scratch.remove()
    }

    /// argv: address ready_file accepted_file port_count max_connections timeout_seconds.
    private static let script = #"""
import os, select, socket, sys, time
address, ready_file, accepted_file = sys.argv[1], sys.argv[2], sys.argv[3]
port_count, max_connections = int(sys.argv[4]), int(sys.argv[5])
deadline = time.monotonic() + float(sys.argv[6])
servers = []
for _ in range(port_count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((address, 0))
    s.listen(8)
    servers.append(s)
with open(ready_file + ".tmp", "w") as f:
    f.write(" ".join(str(s.getsockname()[1]) for s in servers))
os.rename(ready_file + ".tmp", ready_file)
accepted = 0
while accepted < max_connections:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        break
    readable, _, _ = select.select(servers, [], [], remaining)
    for s in readable:
        conn, _ = s.accept()
        conn.close()
        accepted += 1
        with open(accepted_file, "a") as f:
            f.write("%d\n" % s.getsockname()[1])
for s in servers:
    s.close()
"""#
}

extension RuncContainer {
    /// Starts host python3 inside the container to send one DNS query (an A record for
    /// example.com) to `address`:53 over `proto` ("udp": connect + send; "tcp": a 2 s connect
    /// attempt, then the length-prefixed query if it connected), and waits for it to end. Nothing
    /// has to answer: the monitor judges the connect. Returns its host pid.
    @discardableResult
    func dnsQuery(to address: String, proto: String, scratch: TemporaryDirectory) throws -> Int32 {
        let output = scratch.at("dns-\(proto)-\(address)-\(Self.randomHex(bytes: 3)).out")
        let script = """
            import socket
            q = bytes.fromhex('123401000001000000000000076578616d706c6503636f6d0000010001')
            if '\(proto)' == 'udp':
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('\(address)', 53)); s.send(q)
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.settimeout(2)
                try:
                    s.connect(('\(address)', 53)); s.sendall(len(q).to_bytes(2, 'big') + q)
                except OSError as e:
                    print('tcp:', e)
            s.close(); print('queried')
            """
        let pid = try execDetached([NetnsListener.python, "-c", script], outputPath: output)
        guard waitForProcessEnd(pid, timeout: .seconds(15)) else { throw HarnessError("DNS query to \(address) (pid \(pid)) did not end") }
        _ = waitUntil(timeout: .seconds(2)) { CommandRunner.readCapped(output).contains("queried") }
        guard CommandRunner.readCapped(output).contains("queried") else { throw HarnessError("DNS query to \(address) failed: \(CommandRunner.readCapped(output))") }
        return pid
    }

    /// Starts host python3 (hostUsr binds) inside the container for one TCP connect + close to
    /// 198.51.100.1:`port` (5 s timeout), waits for it to end, and returns its host pid.
    /// - Throws: `HarnessError` when it does not end in time or the connect failed.
    func egressConnect(port: UInt16, scratch: TemporaryDirectory) throws -> Int32 {
        let output = scratch.at("connect-\(port)-\(Self.randomHex(bytes: 3)).out")
        let script = "import socket; s = socket.create_connection(('\(TestNetwork.addressA)', \(port)), 5); s.close(); print('connected')"
        let pid = try execDetached([NetnsListener.python, "-c", script], outputPath: output)
        guard waitForProcessEnd(pid, timeout: .seconds(15)) else { throw HarnessError("connect to port \(port) (pid \(pid)) did not end") }
        // The output file is written by the process itself; give the last write a moment to land.
        _ = waitUntil(timeout: .seconds(2)) { CommandRunner.readCapped(output).contains("connected") }
        let text = CommandRunner.readCapped(output)
        guard text.contains("connected") else { throw HarnessError("connect to port \(port) failed: \(text)") }
        return pid
    }
}
