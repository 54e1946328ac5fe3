// SPDX-License-Identifier: Apache-2.0
// Real proc connector, real processes (root only; skipped otherwise). Each test starts a capture,
// makes the kernel do something, and checks the events capture produced. Children that must be
// read from /proc are kept alive deterministically (blocked on a full pipe or a socket read), so
// the tests do not depend on winning the short-lived-process race; every child is reaped.

import Foundation
import Glibc
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

final class LiveCaptureTests: XCTestCase {
    var capture: ProcessCapture?

    override func tearDown() {
        capture?.stop()
        capture = nil
    }

    func startCapture(snapshot: Bool = false) throws -> EventCollector {
        var configuration = ProcessCapture.Configuration()
        configuration.snapshotAtStart = snapshot
        let capture = ProcessCapture(configuration: configuration)
        let collector = EventCollector(capture.events)
        try capture.start()
        self.capture = capture
        return collector
    }

    /// sh → echo: exec events with argv, exe, cwd, uid, cgroup, the ppid chain, the fork, fd 1 a
    /// pipe with the right inode, the exit code; and stop() ends the stream.
    func testExecOfEchoUnderShell() async throws {
        try requireRoot()
        let collector = try startCapture()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rw-live-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        // A pipe filled to capacity: echo blocks writing to it until we drain it, so it is still
        // alive whatever the scheduling when capture reads its /proc entry.
        let (readEnd, writeEnd) = makePipe(nonBlockingWrite: true)
        defer { close(readEnd) }
        let chunk = [UInt8](repeating: 0x2E, count: 4096)
        var filled = 0
        while filled < 1 << 20, write(writeEnd, chunk, chunk.count) > 0 { filled += chunk.count }
        _ = fcntl(writeEnd, F_SETFL, 0)
        let script = "cd \(dir.path) && /bin/echo hello-rw; exit 0"
        let sh = try Spawn.run(["/bin/sh", "-c", script], stdout: writeEnd)
        close(writeEnd)
        defer { Spawn.reap(sh) }

        let shExec = try await collector.waitFor("exec of sh") { $0.execs(of: sh).first }
        XCTAssertEqual(shExec.argv, ["/bin/sh", "-c", script])
        XCTAssertEqual(shExec.ppid, ProcessID(getpid()))

        let echo = try await collector.waitFor("exec of echo under sh") { records in
            records.compactMap { r -> RuntimeWatchCore.ProcessInfo? in
                if case .exec(let p) = r.event, p.ppid == ProcessID(sh), p.argv?.first == "/bin/echo" { p } else { nil }
            }.first
        }
        XCTAssertEqual(echo.source, "proc")
        XCTAssertEqual(echo.argv, ["/bin/echo", "hello-rw"])
        XCTAssertEqual(echo.exe, URL(fileURLWithPath: "/bin/echo").resolvingSymlinksInPath().path)
        XCTAssertEqual(echo.cwd, dir.resolvingSymlinksInPath().path)
        XCTAssertEqual(echo.comm, "echo")
        XCTAssertEqual(echo.credentials?.uid, 0)
        XCTAssertEqual(echo.credentials?.euid, 0)
        XCTAssertNotNil(echo.credentials?.capEff)
        XCTAssertEqual(echo.cgroup, ownCgroup())
        XCTAssertNotNil(echo.startTicks)
        let stdout = try XCTUnwrap(echo.fds?.first(where: { $0.fd == 1 }))
        XCTAssertEqual(stdout.kind, .pipe)
        XCTAssertEqual(stdout.inode, inode(of: readEnd))

        let records = collector.all
        let forkIndex = records.index { if case .fork(let f) = $0 { f.parent == ProcessID(sh) && f.child == echo.pid } else { false } }
        let execIndex = records.index { if case .exec(let p) = $0 { p.pid == echo.pid } else { false } }
        XCTAssertNotNil(forkIndex, "fork sh → echo")
        if let forkIndex, let execIndex { XCTAssertLessThan(forkIndex, execIndex) }
        let execRecord = try XCTUnwrap(execIndex.map { records[$0] })
        let now = UInt64(Date().timeIntervalSince1970 * 1e9)
        XCTAssertLessThan(now > execRecord.timestamp ? now - execRecord.timestamp : execRecord.timestamp - now, 30_000_000_000,
                          "kernel monotonic stamps are converted to wall-clock time")

        // Let echo finish: drain the pipe.
        _ = fcntl(readEnd, F_SETFL, O_NONBLOCK)
        var sink = [UInt8](repeating: 0, count: 65536)
        let drainDeadline = Date().addingTimeInterval(5)
        var echoExit: ExitEvent?
        while echoExit == nil, Date() < drainDeadline {
            while read(readEnd, &sink, sink.count) > 0 {}
            echoExit = collector.all.compactMap { if case .exit(let e) = $0.event, e.pid == echo.pid { e } else { nil } }.first
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        XCTAssertEqual(echoExit, ExitEvent(pid: echo.pid, code: 0, signal: nil))

        capture?.stop()
        let ended = await collector.waitForEnd()
        XCTAssertTrue(ended, "stop() finishes the event stream")
        let stats = try XCTUnwrap(capture?.counters.snapshot())
        XCTAssertGreaterThanOrEqual(stats.eventsByKind["exec"] ?? 0, 2)
        XCTAssertGreaterThanOrEqual(stats.procReads[.complete] ?? 0, 2)
    }

    /// A process whose stdin is a TCP socket connected to a loopback listener: fd 0 resolves to
    /// family inet, remote 127.0.0.1 and the listener's port.
    func testStdinSocketResolvesToTheTCPPeer() async throws {
        try requireRoot()
        let collector = try startCapture()
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        XCTAssertGreaterThanOrEqual(listener, 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        XCTAssertEqual(bound, 0)
        XCTAssertEqual(listen(listener, 1), 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = UInt16(bigEndian: address.sin_port)

        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) } }
        XCTAssertEqual(connected, 0)
        var clientAddress = sockaddr_in()
        var clientLength = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &clientAddress) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client, $0, &clientLength) } }
        let accepted = accept(listener, nil, nil)
        XCTAssertGreaterThanOrEqual(accepted, 0)
        // Keep our end out of the child, or cat would hold both ends and never see EOF.
        _ = fcntl(accepted, F_SETFD, FD_CLOEXEC)
        let devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { close(devnull) }

        // cat blocks reading the socket until we close the accepted end.
        let cat = try Spawn.run(["/bin/cat"], stdin: client, stdout: devnull)
        close(client)
        defer {
            close(accepted)
            Spawn.reap(cat)
        }
        let info = try await collector.waitFor("exec of cat") { $0.execs(of: cat).first }
        XCTAssertEqual(info.argv, ["/bin/cat"])
        let stdin = try XCTUnwrap(info.fds?.first(where: { $0.fd == 0 }))
        XCTAssertEqual(stdin.kind, .socket)
        XCTAssertNotNil(stdin.inode)
        let socket = try XCTUnwrap(stdin.socket)
        XCTAssertEqual(socket.family, "inet")
        XCTAssertEqual(socket.proto, "tcp")
        XCTAssertEqual(socket.remoteAddress, "127.0.0.1")
        XCTAssertEqual(socket.remotePort, port)
        XCTAssertEqual(socket.localAddress, "127.0.0.1")
        XCTAssertEqual(socket.localPort, UInt16(bigEndian: clientAddress.sin_port))
        XCTAssertEqual(socket.state, "ESTABLISHED")
        XCTAssertTrue(socket.isConnectedInet)
        XCTAssertEqual(info.fds?.first(where: { $0.fd == 1 })?.kind, .devnull)
    }

    /// A process started before capture appears in the snapshot, after its parent (us).
    func testProcessStartedBeforeCaptureIsInTheSnapshot() async throws {
        try requireRoot()
        let sleeper = try Spawn.run(["/bin/sleep", "29.5"])
        defer {
            kill(sleeper, SIGKILL)
            Spawn.reap(sleeper)
        }
        let collector = try startCapture(snapshot: true)
        let info = try await collector.waitFor("snapshot of sleep", timeout: 30) { records in
            records.compactMap { r -> RuntimeWatchCore.ProcessInfo? in
                if case .snapshot(let p) = r.event, p.pid.rawValue == sleeper { p } else { nil }
            }.first
        }
        XCTAssertEqual(info.argv, ["/bin/sleep", "29.5"])
        XCTAssertEqual(info.ppid, ProcessID(getpid()))
        XCTAssertEqual(info.source, "proc")
        let records = collector.all
        let parentIndex = records.index { if case .snapshot(let p) = $0 { p.pid == ProcessID(getpid()) } else { false } }
        let childIndex = records.index { if case .snapshot(let p) = $0 { p.pid.rawValue == sleeper } else { false } }
        XCTAssertNotNil(parentIndex)
        if let parentIndex, let childIndex { XCTAssertLessThan(parentIndex, childIndex, "parents before children") }
        XCTAssertNotNil(records.index { if case .snapshot(let p) = $0 { p.pid == ProcessID(1) } else { false } }, "init is in the snapshot")
    }

    /// setuid in a child shows as a uid event for that process.
    func testUIDChangeEvent() async throws {
        try requireRoot()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { throw XCTSkip("setpriv (util-linux) not installed") }
        let collector = try startCapture()
        let child = try Spawn.run(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/true"])
        defer { Spawn.reap(child) }
        let change = try await collector.waitFor("uid event") { records in
            records.compactMap { r -> IDChangeEvent? in if case .uid(let e) = r.event, e.pid.rawValue == child { e } else { nil } }.first
        }
        XCTAssertEqual(change, IDChangeEvent(pid: ProcessID(child), real: 65534, effective: 65534))
        let gid = try await collector.waitFor("gid event") { records in
            records.compactMap { r -> IDChangeEvent? in if case .gid(let e) = r.event, e.pid.rawValue == child { e } else { nil } }.first
        }
        XCTAssertEqual(gid.real, 65534)
    }
}

final class LivePrerequisitesTests: XCTestCase {
    func testRootHereMeetsThePrerequisites() throws {
        try requireRoot()
        XCTAssertNil(LivePrerequisites.check())
    }

    func testMissingProcIsNamed() {
        let sentence = LivePrerequisites.check(procRoot: "/nonexistent-proc")
        XCTAssertTrue(sentence?.contains("/nonexistent-proc") ?? false, sentence ?? "nil")
    }
}
