// SPDX-License-Identifier: Apache-2.0
// Helpers for the live fanotify and token-watcher tests: a kubelet-style volume tree in a temp
// directory (with AtomicWriter-style rotation), spawning short-lived readers, and collecting the
// watcher's records.

import Foundation
import Glibc
import RuntimeWatchCore
import Synchronization
import XCTest

/// One pod's projected service-account volume laid out as the kubelet's AtomicWriter does:
/// `..<timestamp>/{token,ca.crt,namespace}`, `..data -> ..<timestamp>`, `token -> ..data/token`, …
struct FakeKubeletVolume {
    static let files = ["token", "ca.crt", "namespace"]
    let kubeletRoot: String
    let podUID: String
    let volumeDir: String

    var tokenPath: String { volumeDir + "/token" }
    var dataTokenPath: String { volumeDir + "/..data/token" }

    init(kubeletRoot: String, podUID: String, volume: String = "kube-api-access-x",
         timestamp: String = "..2026_11_22_10_00_00.123", token: String = "eyJhbGciOiJSUzI1NiJ9.first.sig") throws {
        self.kubeletRoot = kubeletRoot
        self.podUID = podUID
        volumeDir = "\(kubeletRoot)/pods/\(podUID)/volumes/kubernetes.io~projected/\(volume)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: volumeDir, withIntermediateDirectories: true)
        try writeDataDirectory(timestamp, token: token)
        try fm.createSymbolicLink(atPath: volumeDir + "/..data", withDestinationPath: timestamp)
        for file in Self.files {
            try fm.createSymbolicLink(atPath: "\(volumeDir)/\(file)", withDestinationPath: "..data/\(file)")
        }
    }

    private func writeDataDirectory(_ timestamp: String, token: String) throws {
        let dir = "\(volumeDir)/\(timestamp)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(token.utf8).write(to: URL(fileURLWithPath: dir + "/token"))
        try Data("-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n".utf8).write(to: URL(fileURLWithPath: dir + "/ca.crt"))
        try Data("default".utf8).write(to: URL(fileURLWithPath: dir + "/namespace"))
    }

    /// Rotation as the kubelet does it: write a new timestamped directory, point `..data_tmp` at it,
    /// rename it over `..data`, remove the old directory. The token becomes a new inode.
    func rotate(to timestamp: String, token: String) throws {
        let old = try FileManager.default.destinationOfSymbolicLink(atPath: volumeDir + "/..data")
        try writeDataDirectory(timestamp, token: token)
        try FileManager.default.createSymbolicLink(atPath: volumeDir + "/..data_tmp", withDestinationPath: timestamp)
        guard rename(volumeDir + "/..data_tmp", volumeDir + "/..data") == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        try FileManager.default.removeItem(atPath: "\(volumeDir)/\(old)")
    }
}

/// A child process run to completion; stdin, stdout and stderr are /dev/null. Spawned with
/// posix_spawn and reaped with waitpid (Foundation's Process.waitUntilExit polls its run loop in
/// 50 ms steps, which would dominate a loop of 1,000 short readers).
struct Spawned {
    let pid: Int32
    let status: Int32
    let argv: [String]

    /// Runs `argv` (argv[0] is the executable path) and waits for it. `status` is the exit code, or
    /// 128 + signal when it was killed.
    static func run(_ argv: [String]) throws -> Spawned {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for arg in cArgs { free(arg) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw POSIXError(.init(rawValue: rc) ?? .EIO) }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 {
            guard errno == EINTR else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        }
        let signal = raw & 0x7f
        return Spawned(pid: pid, status: signal == 0 ? (raw >> 8) & 0xff : 128 + signal, argv: argv)
    }
}

/// Resolves symlinks the way /proc/<pid>/exe shows the executable.
func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// Collects every record of a watcher's stream in the background.
final class RecordCollector: Sendable {
    private final class Store: Sendable {
        let records = Mutex<[EventRecord]>([])
    }
    private let store = Store()
    private let task: Task<Void, Never>

    init(_ stream: AsyncStream<EventRecord>) {
        let store = self.store
        task = Task.detached { for await record in stream { store.records.withLock { $0.append(record) } } }
    }

    var records: [EventRecord] { store.records.withLock { $0 } }

    var fileOpens: [FileOpenEvent] {
        records.compactMap { if case .fileOpen(let open) = $0.event { open } else { nil } }
    }

    func fileOpens(pid: Int32) -> [FileOpenEvent] { fileOpens.filter { $0.pid.rawValue == pid } }

    /// Polls until `predicate` holds or `timeout` seconds passed. Returns whether it held.
    @discardableResult
    func wait(timeout: Double, until predicate: ([EventRecord]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(records) { return true }
            usleep(2_000)
        }
        return predicate(records)
    }

    /// Waits for a record of `pid`'s open.
    @discardableResult
    func waitForOpen(pid: Int32, timeout: Double = 5) -> Bool {
        wait(timeout: timeout) { records in
            records.contains { if case .fileOpen(let open) = $0.event { open.pid.rawValue == pid } else { false } }
        }
    }

    func cancel() { task.cancel() }
}
