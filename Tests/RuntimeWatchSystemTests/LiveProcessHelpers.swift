// SPDX-License-Identifier: Apache-2.0
// Helpers for the live capture tests: spawning children with chosen stdio, collecting a capture's
// events while the test waits for the one it needs, and skipping cleanly when not root.

import Foundation
import Glibc
import Logging
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

/// Skips the calling test unless it runs as root (the proc connector needs CAP_NET_ADMIN).
func requireRoot() throws {
    guard geteuid() == 0 else {
        throw XCTSkip("live capture needs root (CAP_NET_ADMIN for the proc connector); run the tests as root")
    }
}

enum Spawn {
    /// posix_spawn with stdio redirected to the given descriptors (nil: inherit).
    /// - Returns: the child pid.
    static func run(_ argv: [String], stdin: Int32? = nil, stdout: Int32? = nil, stderr: Int32? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (source, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] {
            if let source { posix_spawn_file_actions_adddup2(&actions, source, target) }
        }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw NSError(domain: "spawn", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "posix_spawn \(argv[0]): \(String(cString: strerror(rc)))"]) }
        return pid
    }

    /// `run`, then waits (at most 5 s) until /proc shows the child's command line as `argv`: its exec
    /// is over. The exe link names the new image a moment before the kernel sets up the new argv,
    /// so waiting on the exe (or on what it classifies as) can return while a read has no command
    /// line; a reader that reuses its last read sees the next read, with one, as another image.
    static func runUntilExecuted(_ argv: [String], stdin: Int32? = nil, stdout: Int32? = nil, stderr: Int32? = nil) throws -> pid_t {
        let pid = try run(argv, stdin: stdin, stdout: stdout, stderr: stderr)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, ProcReader().read(pid: pid).info?.argv != argv {
            usleep(5_000)
        }
        XCTAssertEqual(ProcReader().read(pid: pid).info?.argv, argv, "the exec of \(argv[0]) did not finish in 5 s")
        return pid
    }

    /// Waits for `pid` for at most `timeout` seconds, then SIGKILLs and reaps it.
    /// Returns the wait status (nil if it had to be killed).
    @discardableResult
    static func reap(_ pid: pid_t, timeout: TimeInterval = 5) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return status }
            if r < 0 { return nil }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return nil
    }
}

/// Collects a capture's events on a background task.
final class EventCollector: @unchecked Sendable {
    // @unchecked: `records` and `ended` are guarded by `lock`.
    private let lock = NSLock()
    private var records: [EventRecord] = []
    private var ended = false

    init(_ stream: AsyncStream<EventRecord>) {
        Task.detached { [self] in
            for await record in stream { append(record) }
            lock.withLock { ended = true }
        }
    }

    private func append(_ r: EventRecord) { lock.withLock { records.append(r) } }

    var all: [EventRecord] { lock.withLock { records } }
    var hasEnded: Bool { lock.withLock { ended } }

    /// Polls until `find` returns a value, for at most `timeout` seconds.
    func waitFor<T>(_ what: String, timeout: TimeInterval = 10, _ find: ([EventRecord]) -> T?) async throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let found = find(all) { return found }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw NSError(domain: "EventCollector", code: 1, userInfo: [NSLocalizedDescriptionKey: "timed out after \(timeout)s waiting for \(what); \(all.count) events seen"])
    }

    /// Waits until the stream has ended (after stop), at most `timeout` seconds.
    func waitForEnd(timeout: TimeInterval = 5) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if hasEnded { return true }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return hasEnded
    }
}

extension Array where Element == EventRecord {
    /// The exec events (process info) for `pid`.
    func execs(of pid: pid_t) -> [RuntimeWatchCore.ProcessInfo] {
        compactMap { if case .exec(let p) = $0.event, p.pid.rawValue == pid { p } else { nil } }
    }

    func index(where predicate: (Event) -> Bool) -> Int? { firstIndex { predicate($0.event) } }
}

/// The pipe inode of a descriptor (st_ino), to match against /proc's `pipe:[inode]`.
func inode(of fd: Int32) -> UInt64 {
    var st = stat()
    fstat(fd, &st)
    return UInt64(st.st_ino)
}

/// The cgroup path capture should report for processes in our own cgroup.
func ownCgroup() -> String? {
    guard let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
    return CgroupSelection.choose(text)
}

/// A close-on-exec pipe (pipe2 is a GNU extension Swift's Glibc does not import).
/// Returns (read end, write end).
func makePipe(nonBlockingWrite: Bool = false) -> (Int32, Int32) {
    var fds: [Int32] = [-1, -1]
    precondition(pipe(&fds) == 0, "pipe: \(String(cString: strerror(errno)))")
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    if nonBlockingWrite { _ = fcntl(fds[1], F_SETFL, O_NONBLOCK) }
    return (fds[0], fds[1])
}

extension LiveCapture {
    /// Process capture alone (no fanotify, no audit rule), as the monitor runs it: one queue, the
    /// container announcer at its exit.
    static func processesOnly(snapshot: Bool,
                              containerMetadata: (@Sendable (CgroupMatch) throws(OCIMetadataError) -> OCIMetadata)? = nil) -> LiveCapture {
        var options = LiveCapture.Options()
        options.snapshotAtStart = snapshot
        options.watchTokens = false
        options.watchConnects = false
        options.containerMetadata = containerMetadata
        return LiveCapture(options: options, logger: Logger(label: "test"))
    }
}
