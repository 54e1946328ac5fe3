// SPDX-License-Identifier: Apache-2.0
// The attacker's end of a reverse shell, for live tests: a TCP listener inside a test network
// namespace that accepts one connection, sends one command line and records the answer. Written as a
// small python3 script run by `ip netns exec`, because the listener must live in the other namespace.
// Bounded in time (overall deadline), bytes (maxBytes) and connections (exactly one).

import Foundation

/// What the listener saw.
struct ListenerResult {
    /// "address:port" of the peer, nil when nobody connected before the deadline.
    var peer: String?
    /// Bytes received after the command was sent (UTF-8, lossy).
    var received: String
}

final class NetnsListener {
    static let python = "/usr/bin/python3"

    /// How the attacker's end talks: plain TCP, UDP datagrams (the peer is whoever sends the first
    /// datagram), or TLS over TCP with the given PEM certificate and key.
    enum Transport {
        case tcp
        case udp
        case tls(certificate: String, key: String)

        var arguments: [String] {
            switch self {
            case .tcp: ["tcp", "", ""]
            case .udp: ["udp", "", ""]
            case .tls(let certificate, let key): ["tls", certificate, key]
            }
        }
    }

    /// The port listened on: the one asked for, or (port 0, the default) the one the kernel chose, so
    /// parallel tests never collide. A fixed port is for a service whose port is its identity (the
    /// API server's 6443); each test network namespace has its own ports.
    let port: UInt16
    let address: String
    private let process: Process
    private let timeout: Duration
    private let scratch: TemporaryDirectory

    /// Accepts one connection; sends `commandLine` + "\n"; reads until EOF, `maxBytes`, 0.5 s of
    /// silence after the first byte, or the deadline `timeout` after start, whichever comes first.
    /// Returns once the socket is listening (waits at most 10 s for that).
    init(namespace: String, address: String, port: UInt16 = 0, sending commandLine: String, timeout: Duration, maxBytes: Int,
         transport: Transport = .tcp) throws {
        let scratch = try TemporaryDirectory(prefix: "rw-listener")
        let readyFile = scratch.at("port"), resultFile = scratch.at("result.json"), errPath = scratch.at("stderr")
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18

        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestNetwork.ip)
        process.arguments = ["netns", "exec", namespace, Self.python, "-c", Self.script,
                             address, readyFile, resultFile, commandLine, String(seconds), String(maxBytes)] + transport.arguments + [String(port)]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        do {
            guard FileManager.default.createFile(atPath: errPath, contents: nil) else { throw HarnessError("cannot create \(errPath)") }
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
            try process.run()
        } catch {
            scratch.remove()
            throw HarnessError("cannot start listener in \(namespace): \(error)")
        }

        var chosen: UInt16?
        _ = waitUntil(timeout: .seconds(10)) {
            chosen = (try? String(contentsOfFile: readyFile, encoding: .utf8)).flatMap {
                UInt16($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return chosen != nil || !process.isRunning
        }
        guard let chosen else {
            let stderr = CommandRunner.readCapped(errPath)
            Self.kill(process)
            scratch.remove()
            throw HarnessError("listener in \(namespace) did not start: \(stderr)")
        }
        self.port = chosen
        self.address = address
        self.timeout = timeout
        self.process = process
        self.scratch = scratch
        self.resultFile = resultFile
        self.errPath = errPath
    }

    private let resultFile: String
    private let errPath: String

    deinit { Self.kill(process); scratch.remove() }

    /// Waits for the listener to finish (at most its deadline + 3 s) and returns what it saw.
    func result() throws -> ListenerResult {
        if !CommandRunner.waitForExit(process, timeout: timeout + .seconds(3)) {
            Self.kill(process)
            throw HarnessError("listener did not stop by its deadline")
        }
        guard let data = FileManager.default.contents(atPath: resultFile),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HarnessError("listener wrote no result: \(CommandRunner.readCapped(errPath))")
        }
        return ListenerResult(peer: object["peer"] as? String, received: object["received"] as? String ?? "")
    }

    private static func kill(_ process: Process) {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        _ = CommandRunner.waitForExit(process, timeout: .seconds(2))
    }

    /// argv: address ready_file result_file command timeout_seconds max_bytes transport cert key port.
    private static let script = #"""
import json, os, socket, sys, time
address, ready_file, result_file, command = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
deadline = time.monotonic() + float(sys.argv[5])
max_bytes = int(sys.argv[6])
transport = sys.argv[7] if len(sys.argv) > 7 else "tcp"
server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM)
server.bind((address, int(sys.argv[10]) if len(sys.argv) > 10 else 0))
if transport != "udp":
    server.listen(1)
with open(ready_file + ".tmp", "w") as f:
    f.write(str(server.getsockname()[1]))
os.rename(ready_file + ".tmp", ready_file)
peer, received = None, b""
if transport == "udp":
    # The shell's first datagram (its prompt) names the peer; then the command, then the answer.
    try:
        server.settimeout(max(0.1, deadline - time.monotonic()))
        _, addr = server.recvfrom(65536)
        peer = "%s:%d" % addr
        server.sendto(command.encode() + b"\n", addr)
        while len(received) < max_bytes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            server.settimeout(min(remaining, 0.5) if b"uid=" in received else remaining)
            try:
                chunk, _ = server.recvfrom(65536)
            except socket.timeout:
                break
            received += chunk
    except socket.timeout:
        pass
    server.close()
    with open(result_file, "w") as f:
        json.dump({"peer": peer, "received": received.decode("utf-8", "replace")}, f)
    sys.exit(0)
try:
    server.settimeout(max(0.1, deadline - time.monotonic()))
    conn, addr = server.accept()
    peer = "%s:%d" % addr
    if transport == "tls":
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[8], sys.argv[9])
        conn.settimeout(max(0.1, deadline - time.monotonic()))
        conn = context.wrap_socket(conn, server_side=True)
    conn.sendall(command.encode() + b"\n")
    while len(received) < max_bytes:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        conn.settimeout(min(remaining, 0.5) if received else remaining)
        try:
            chunk = conn.recv(max_bytes - len(received))
        except socket.timeout:
            break
        if not chunk:
            break
        received += chunk
    conn.close()
except socket.timeout:
    pass
server.close()
with open(result_file, "w") as f:
    json.dump({"peer": peer, "received": received.decode("utf-8", "replace")}, f)
"""#
}
