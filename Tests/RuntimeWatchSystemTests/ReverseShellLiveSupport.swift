// SPDX-License-Identifier: Apache-2.0
// Shared scene for the live reverse-shell tests: one TEST-NET network pair, one runc container in
// namespace B (host /usr bound in, so bash/python3/perl/socat/ncat run inside it) and one real
// `runtime-watch run` watching it, built once per test class because each costs seconds to start.

import Foundation
import XCTest

/// The network, container and monitor every reverse-shell live test shares.
final class ReverseShellLiveScene {
    let scratch: TemporaryDirectory
    let network: TestNetwork
    let container: RuncContainer
    let monitor: MonitorProcess
    /// The monitor's `--record` trace: every event it processed, for liveness checks and replays.
    let tracePath: String
    /// A self-signed certificate and key for the TLS listener.
    let tlsCertificate: String
    let tlsKey: String

    /// The container id as alerts carry it (first 12 hex digits).
    var shortContainerID: String { String(container.id.prefix(12)) }

    /// Starts network, container (in B) and monitor (fold window 0, so every shell alerts on its own).
    /// Everything started is stopped again when a later step fails.
    /// - Throws: whatever step failed, after cleaning up.
    init() throws {
        let binary = try runtimeWatchBinary()
        let scratch = try TemporaryDirectory(prefix: "rw-rshell")
        let scene: NetworkedContainer
        do { scene = try NetworkedContainer.start(namespace: "rw-e2e-rshell") } catch {
            scratch.remove()
            throw error
        }
        do {
            try scratch.makeDirectory("kubelet")   // empty: no token volumes to watch here
            let profile = try scratch.write("version: 1\nsettings:\n  fold_window_seconds: 0\n", to: "rshell-profile.yaml")
            tracePath = scratch.at("trace.jsonl")
            tlsCertificate = scratch.at("tls-cert.pem")
            tlsKey = scratch.at("tls-key.pem")
            try CommandRunner.check(["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=attacker.test",
                                     "-days", "1", "-keyout", tlsKey, "-out", tlsCertificate], timeout: .seconds(30))
            monitor = try MonitorProcess(binary: binary, kubeletRoot: scratch.at("kubelet"), scratch: scratch,
                                         profiles: [profile], maxSeconds: 1200, extraArguments: ["--record", tracePath])
            self.network = scene.network
            self.container = scene.container
            self.scratch = scratch
        } catch {
            scene.stop()
            scratch.remove()
            throw error
        }
    }

    /// Stops monitor, container and network and removes the scratch directory. Idempotent.
    func tearDown() {
        monitor.stop()
        // RW_KEEP_TRACE=path keeps the monitor's trace (for `runtime-watch replay` after a failure).
        if let keep = ProcessInfo.processInfo.environment["RW_KEEP_TRACE"] {
            try? FileManager.default.removeItem(atPath: keep)
            try? FileManager.default.copyItem(atPath: tracePath, toPath: keep)
        }
        container.stop()
        network.teardown()
        scratch.remove()
    }

    /// Exec events in the monitor's trace (flushed every second) whose argv contains `marker`.
    /// - Throws: `HarnessError` when the trace is not readable.
    func tracedExecs(containing marker: String) throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: tracePath, encoding: .utf8) else { throw HarnessError("no trace at \(tracePath)") }
        return text.split(separator: "\n").compactMap { line -> [String: Any]? in
            guard line.contains(marker), line.contains("\"type\":\"exec\""),
                  let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let argv = object["argv"] as? [String], argv.contains(where: { $0.contains(marker) }) else { return nil }
            return object
        }
    }

    /// How many connect events to `port` the monitor's trace holds.
    func tracedConnects(port: Int) -> Int {
        let text = (try? String(contentsOfFile: tracePath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.contains("\"type\":\"connect\"") && $0.contains("\"remotePort\":\(port),") }.count
    }

    /// The `reverse-shell` alerts written so far.
    func reverseShellAlerts() throws -> [EndToEndAlert] {
        try monitor.alerts().filter { $0.ruleID == "reverse-shell" }
    }
}

extension EndToEndAlert {
    /// `fd.rport` as a number, whether the line wrote it as a JSON number or a string.
    var remotePort: Int? {
        if let number = fields["fd.rport"] as? NSNumber { return number.intValue }
        return string("fd.rport").flatMap { Int($0) }
    }

    var remoteAddress: String? { string("fd.rip") }

    /// One line per alert with what a failed assertion needs to explain itself.
    var reverseShellSummary: String {
        "\(description) rip=\(remoteAddress ?? "-") rport=\(remotePort.map(String.init) ?? "-") technique=\(string("rw.technique") ?? "-") cmdline=\(string("proc.cmdline") ?? "-")"
    }
}
