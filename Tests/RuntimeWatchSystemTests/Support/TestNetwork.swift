// SPDX-License-Identifier: Apache-2.0
// Two network namespaces joined by a veth pair on TEST-NET-2 (198.51.100.0/24), so live tests can
// make real connections (reverse shells, egress) that never leave this machine. Nothing is routed
// beyond the pair: each namespace holds only loopback and its veth end.

import Foundation

/// `rwt-<random>-a` (198.51.100.1/24) and `rwt-<random>-b` (198.51.100.2/24), linked by veth `eth0`
/// in each. Put a container in B with `RuncContainer.Configuration.networkNamespacePath = network.pathB`.
final class TestNetwork {
    static let ip = "/usr/sbin/ip"
    static let addressA = "198.51.100.1"
    static let addressB = "198.51.100.2"
    static let namePrefix = "rwt-"

    let namespaceA: String
    let namespaceB: String
    private var tornDown = false

    var pathA: String { "/var/run/netns/\(namespaceA)" }
    var pathB: String { "/var/run/netns/\(namespaceB)" }

    /// Creates both namespaces, the veth pair and the addresses; removes what it made if a step fails.
    init() throws {
        let base = Self.namePrefix + RuncContainer.randomHex(bytes: 3)
        namespaceA = "\(base)-a"
        namespaceB = "\(base)-b"
        do {
            try CommandRunner.check([Self.ip, "netns", "add", namespaceA])
            try CommandRunner.check([Self.ip, "netns", "add", namespaceB])
            try CommandRunner.check([Self.ip, "-n", namespaceA, "link", "add", "eth0", "type", "veth",
                                     "peer", "name", "eth0", "netns", namespaceB])
            for (ns, address) in [(namespaceA, Self.addressA), (namespaceB, Self.addressB)] {
                try CommandRunner.check([Self.ip, "-n", ns, "link", "set", "lo", "up"])
                try CommandRunner.check([Self.ip, "-n", ns, "addr", "add", "\(address)/24", "dev", "eth0"])
                try CommandRunner.check([Self.ip, "-n", ns, "link", "set", "eth0", "up"])
            }
        } catch {
            teardown()
            throw error
        }
    }

    deinit { teardown() }

    /// Runs `argv` inside namespace B (`ip netns exec`), bounded by `timeout`.
    func runInB(_ argv: [String], timeout: Duration = .seconds(20)) throws -> CommandResult {
        try CommandRunner.run([Self.ip, "netns", "exec", namespaceB] + argv, timeout: timeout)
    }

    /// Starts a one-connection TCP listener on 198.51.100.1 in namespace A that sends `commandLine`
    /// to whoever connects and captures the reply. See `NetnsListener` for its bounds.
    func startListener(port: UInt16 = 0, sending commandLine: String, timeout: Duration = .seconds(15), maxBytes: Int = 64 * 1024,
                       transport: NetnsListener.Transport = .tcp) throws -> NetnsListener {
        try NetnsListener(namespace: namespaceA, address: Self.addressA, port: port, sending: commandLine, timeout: timeout, maxBytes: maxBytes,
                          transport: transport)
    }

    /// Deletes both namespaces (which destroys the veth pair). Idempotent, never throws.
    func teardown() {
        guard !tornDown else { return }
        tornDown = true
        for ns in [namespaceA, namespaceB] {
            _ = try? CommandRunner.run([Self.ip, "netns", "delete", ns], timeout: .seconds(10))
        }
    }

    /// Names of existing network namespaces (from `ip netns list`).
    static func existingNamespaces() -> [String] {
        let out = (try? CommandRunner.run([ip, "netns", "list"], timeout: .seconds(10)))?.stdout ?? ""
        return out.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
    }
}
