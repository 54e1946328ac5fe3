// SPDX-License-Identifier: Apache-2.0
// The token watcher against a kubelet-style volume tree in a temp directory, with real short-lived
// readers: every read is attributed to the right pid with its exe and argv although the reader
// exits at once; non-token files, listings, and rotation produce nothing; new pods and rotated
// tokens are picked up. Needs root.
//
// "Exactly one" is checked with a sentinel: records come out in the kernel's order from one thread,
// and each reader was answered before it could exit, so once a later sentinel read is seen every
// record of the earlier readers is already there.

import Foundation
import Glibc
import RuntimeWatchCore
import XCTest
@testable import RuntimeWatchCapture

final class TokenWatchLiveTests: XCTestCase {
    private var dir: TemporaryDirectory!
    private var watcher: TokenWatcher?
    private var collector: RecordCollector?
    private var kubeletRoot: String { dir.path + "/kubelet" }
    private let podUID = "0b7e4f6c-1d2a-4c3b-9e8f-a1b2c3d4e5f6"

    override func setUpWithError() throws {
        try requireRoot()
        dir = try TemporaryDirectory(prefix: "rw-tokenwatch")
    }

    override func tearDown() {
        watcher?.stop()
        collector?.cancel()
        dir?.remove()
    }

    private func startWatcher(_ adjust: (inout TokenWatcher.Configuration) -> Void = { _ in }) throws -> (TokenWatcher, RecordCollector) {
        var configuration = TokenWatcher.Configuration()
        configuration.kubeletRoot = kubeletRoot
        configuration.hostTokenPaths = []  // never mark this machine's own files
        configuration.rescanInterval = .milliseconds(500)
        adjust(&configuration)
        let watcher = TokenWatcher(configuration: configuration)
        let collector = RecordCollector(watcher.events)
        self.watcher = watcher
        self.collector = collector
        try watcher.start()
        return (watcher, collector)
    }

    /// Reads `path` with cat and waits for its record: after it, every earlier reader's records are in.
    private func sentinel(_ path: String, _ collector: RecordCollector) throws -> Spawned {
        let cat = try Spawned.run(["/usr/bin/cat", path])
        XCTAssertEqual(cat.status, 0)
        XCTAssertTrue(collector.waitForOpen(pid: cat.pid), "sentinel read of \(path) was not reported")
        return cat
    }

    func testEveryReaderYieldsExactlyOneAttributedEvent() throws {
        let volume = try FakeKubeletVolume(kubeletRoot: kubeletRoot, podUID: podUID)
        let (watcher, collector) = try startWatcher()
        XCTAssertEqual(watcher.mode, .permission)
        XCTAssertEqual(watcher.counters.marks, 1)
        let token = volume.tokenPath
        let readers: [[String]] = [
            ["/usr/bin/cat", token],
            ["/usr/bin/head", "-c", "10", token],
            ["/usr/bin/dd", "if=\(token)", "of=/dev/null"],
            ["/usr/bin/cp", token, dir.path + "/copied"],
            ["/usr/bin/base64", token],
            ["/usr/bin/python3", "-c", "open('\(token)').read()"],
            ["/usr/bin/cat", volume.dataTokenPath],
        ]
        var spawned: [Spawned] = []
        for argv in readers {
            let reader = try Spawned.run(argv)
            XCTAssertEqual(reader.status, 0, "\(argv) failed")
            spawned.append(reader)
        }
        _ = try sentinel(token, collector)
        for reader in spawned {
            let opens = collector.fileOpens(pid: reader.pid)
            XCTAssertEqual(opens.count, 1, "\(reader.argv): expected exactly one open, got \(opens)")
            guard let open = opens.first else { continue }
            XCTAssertEqual(open.path, token)
            XCTAssertNil(open.containerPath, "a host reader has no container path")
            XCTAssertFalse(open.write)
            let process = try XCTUnwrap(open.process)
            XCTAssertEqual(process.source, "proc", "\(reader.argv): capture incomplete although the reader was held")
            XCTAssertEqual(process.exe, realPath(reader.argv[0]))
            XCTAssertEqual(process.argv, reader.argv)
            XCTAssertEqual(process.ppid?.rawValue, getpid())
            XCTAssertEqual(process.credentials?.uid, 0)
            XCTAssertNotNil(process.cgroup)
        }
        // The event loop counts an event just after handing it off (in one step with whether it was
        // dropped), so the collector can see the sentinel a moment before it is counted.
        _ = waitUntil(timeout: .seconds(5)) { watcher.counters.events >= UInt64(readers.count + 1) }
        let counters = watcher.counters
        XCTAssertEqual(counters.events, UInt64(readers.count + 1))
        XCTAssertEqual(counters.allowed, counters.events)
        XCTAssertEqual(counters.dropped, 0)
        XCTAssertGreaterThan(counters.answerLatencyMaxNanoseconds, 0)
    }

    func testNonTokenFilesAndListingsYieldNothing() throws {
        let volume = try FakeKubeletVolume(kubeletRoot: kubeletRoot, podUID: podUID)
        let (_, collector) = try startWatcher()
        var quiet: [Spawned] = []
        for argv in [
            ["/usr/bin/cat", volume.volumeDir + "/ca.crt"],
            ["/usr/bin/cat", volume.volumeDir + "/namespace"],
            ["/usr/bin/ls", "-la", volume.volumeDir],
            ["/usr/bin/ls", "-laL", volume.volumeDir + "/..data/"],
            ["/usr/bin/stat", volume.tokenPath],
        ] {
            let run = try Spawned.run(argv)
            XCTAssertEqual(run.status, 0, "\(argv) failed")
            quiet.append(run)
        }
        let sentinel = try sentinel(volume.tokenPath, collector)
        XCTAssertEqual(collector.fileOpens.map(\.pid.rawValue), [sentinel.pid],
                       "only the sentinel read may be reported; quiet pids: \(quiet.map(\.pid))")
    }

    func testPodCreatedAfterStartIsPickedUpWithinTheRescanPeriod() throws {
        let (watcher, collector) = try startWatcher { $0.rescanInterval = .seconds(1) }
        XCTAssertEqual(watcher.counters.marks, 0)
        let created = Date()
        let volume = try FakeKubeletVolume(kubeletRoot: kubeletRoot, podUID: podUID)
        // One interval plus slack for a scan already in progress.
        while watcher.counters.marks < 1, Date().timeIntervalSince(created) < 2.5 { usleep(10_000) }
        let pickedUp = Date().timeIntervalSince(created)
        XCTAssertEqual(watcher.counters.marks, 1, "new pod not marked after \(pickedUp) s")
        XCTAssertLessThanOrEqual(pickedUp, 2.5)
        let reader = try sentinel(volume.tokenPath, collector)
        XCTAssertEqual(collector.fileOpens(pid: reader.pid).first?.path, volume.tokenPath)

        // The pod goes away: its file leaves the table at the next scan.
        try FileManager.default.removeItem(atPath: "\(kubeletRoot)/pods/\(podUID)")
        let removed = Date()
        while watcher.counters.marks > 0, Date().timeIntervalSince(removed) < 2.5 { usleep(10_000) }
        XCTAssertEqual(watcher.counters.marks, 0, "removed pod still in the table")
    }

    func testRotatedTokenIsStillWatchedAndRotationIsNotAnOpen() throws {
        let volume = try FakeKubeletVolume(kubeletRoot: kubeletRoot, podUID: podUID)
        let (watcher, collector) = try startWatcher()
        let before = try sentinel(volume.tokenPath, collector)
        try volume.rotate(to: "..2026_11_22_11_00_00.456", token: "eyJhbGciOiJSUzI1NiJ9.second.sig")
        let rotatedAt = watcher.counters.rescans
        // Two more scans: at least one began after the rotation.
        let deadline = Date().addingTimeInterval(5)
        while watcher.counters.rescans < rotatedAt + 2, Date() < deadline { usleep(10_000) }
        XCTAssertGreaterThanOrEqual(watcher.counters.rescans, rotatedAt + 2, "no rescan within 5 s")
        let after = try sentinel(volume.tokenPath, collector)
        let opens = collector.fileOpens
        XCTAssertEqual(opens.map(\.pid.rawValue), [before.pid, after.pid], "rotation itself must produce no open record")
        XCTAssertEqual(opens.last?.path, volume.tokenPath)
        XCTAssertEqual(watcher.counters.marks, 1, "the old inode left the table, the new one is in it")
        let reread = try Spawned.run(["/usr/bin/python3", "-c", "import sys; sys.exit(0 if open('\(volume.tokenPath)').read().endswith('second.sig') else 1)"])
        XCTAssertEqual(reread.status, 0, "the rotated content is what readers see")
    }

    func testWriteOnlyOpenIsAWriteButReadWriteIsARead() throws {
        let volume = try FakeKubeletVolume(kubeletRoot: kubeletRoot, podUID: podUID)
        let (watcher, collector) = try startWatcher()
        try assertOpenFlags(volume, watcher, collector)
    }

    /// The flags decide whether an open is judged as a read at all, so no time budget may skip them
    /// (CI once saw a writer reported as a reader when reading its /proc took over the 5 ms budget
    /// in the debug build). With no time at all, every opener is over budget.
    func testOpenFlagsAreReadWhenTheTimeBudgetIsSpent() throws {
        let volume = try FakeKubeletVolume(kubeletRoot: kubeletRoot, podUID: podUID)
        let (watcher, collector) = try startWatcher { $0.captureBudget = .zero; $0.batchBudget = .zero }
        try assertOpenFlags(volume, watcher, collector)
        // The three python openers were counted before the sentinel's open was read (one event
        // thread, each event counted before the next is handled); the sentinel may not be yet.
        XCTAssertGreaterThanOrEqual(watcher.counters.captureSkipped + watcher.counters.captureOutOfBudget, 3,
                                    "every opener was over budget: its namespace and root were skipped")
    }

    private func assertOpenFlags(_ volume: FakeKubeletVolume, _ watcher: TokenWatcher, _ collector: RecordCollector,
                                 file: StaticString = #filePath, line: UInt = #line) throws {
        let writer = try Spawned.run(["/usr/bin/python3", "-c", "open('\(volume.tokenPath)', 'ab').close()"])
        let readWriter = try Spawned.run(["/usr/bin/python3", "-c", "open('\(volume.tokenPath)', 'r+b').read()"])
        let reader = try Spawned.run(["/usr/bin/python3", "-c", "import os; os.close(os.open('\(volume.tokenPath)', os.O_RDONLY))"])
        XCTAssertEqual([writer.status, readWriter.status, reader.status], [0, 0, 0], file: file, line: line)
        _ = try sentinel(volume.tokenPath, collector)
        let counters = watcher.counters
        let context = "mode \(watcher.mode), over budget \(counters.captureOutOfBudget), batch over budget \(counters.captureSkipped)"
        XCTAssertEqual(collector.fileOpens(pid: writer.pid).map(\.write), [true], context, file: file, line: line)
        XCTAssertEqual(collector.fileOpens(pid: readWriter.pid).map(\.write), [false], context, file: file, line: line)
        XCTAssertEqual(collector.fileOpens(pid: reader.pid).map(\.write), [false], context, file: file, line: line)
    }

    func testThousandReadsAreEachAttributed() throws {
        let volume = try FakeKubeletVolume(kubeletRoot: kubeletRoot, podUID: podUID)
        let (watcher, collector) = try startWatcher()
        var pids: [Int32] = []
        for _ in 0..<1_000 {
            let cat = try Spawned.run(["/usr/bin/cat", volume.tokenPath])
            XCTAssertEqual(cat.status, 0)
            pids.append(cat.pid)
        }
        collector.wait(timeout: 10) { $0.count >= 1_000 }
        let opens = collector.fileOpens
        XCTAssertEqual(opens.count, 1_000)
        XCTAssertEqual(opens.map(\.pid.rawValue), pids, "records in order, one per cat, each with its pid")
        XCTAssertEqual(opens.filter { $0.process?.argv == ["/usr/bin/cat", volume.tokenPath] }.count, 1_000)
        let counters = watcher.counters
        print("token-watch: 1000 cat reads -> \(opens.count) fileOpen records; answer latency avg \(counters.answerLatencyAverageNanoseconds) ns, max \(counters.answerLatencyMaxNanoseconds) ns")
    }

    /// The time budget is set, not left to the machine's load: it decides whether the root is read.
    func testContainerRootIsResolvedInsideTheContainer() throws {
        let open = try readTokenInChrootContainer(budget: .seconds(5))
        XCTAssertEqual(open.containerPath, "/run/secrets/kubernetes.io/serviceaccount/token", "the path as the opener sees it")
    }

    /// Past its time budget the opener's root is not read: the path in the container is the one the
    /// scan found (the spelling it was configured with), and the skip is counted.
    func testSpentBudgetGivesTheScannedContainerPath() throws {
        let open = try readTokenInChrootContainer(budget: .zero)
        XCTAssertEqual(open.containerPath, "/var/run/secrets/kubernetes.io/serviceaccount/token")
        // The event thread counts the skip just after it hands the record over.
        let watcher = try XCTUnwrap(self.watcher)
        XCTAssertTrue(waitUntil(timeout: .seconds(2)) { watcher.counters.captureSkipped + watcher.counters.captureOutOfBudget >= 1 },
                      "the opener's skipped namespace and root were not counted")
    }

    /// A token read with busybox cat inside a chroot "container" whose token the watcher found
    /// through the container's root; returns its record after checking what does not depend on
    /// the budget.
    private func readTokenInChrootContainer(budget: Duration, file: StaticString = #filePath, line: UInt = #line) throws -> FileOpenEvent {
        // A chroot "container": its /var/run is an absolute symlink to /run, as in most images.
        let rootfs = dir.path + "/rootfs"
        let fm = FileManager.default
        try fm.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: rootfs + "/var", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: rootfs + "/run/secrets/kubernetes.io/serviceaccount", withIntermediateDirectories: true)
        try fm.copyItem(atPath: "/usr/bin/busybox", toPath: rootfs + "/bin/busybox")
        try fm.createSymbolicLink(atPath: rootfs + "/var/run", withDestinationPath: "/run")
        try Data("container-token".utf8).write(to: URL(fileURLWithPath: rootfs + "/run/secrets/kubernetes.io/serviceaccount/token"))

        let (watcher, collector) = try startWatcher {
            // Only the symlinked spelling, so finding the file proves the symlink was resolved in the root.
            $0.containerTokenPaths = ["/var/run/secrets/kubernetes.io/serviceaccount/token"]
            $0.captureBudget = budget
            $0.batchBudget = budget
        }
        let initProcess = Process()
        initProcess.executableURL = URL(fileURLWithPath: "/usr/sbin/chroot")
        initProcess.arguments = [rootfs, "/bin/busybox", "sleep", "30"]
        try initProcess.run()
        defer { initProcess.terminate(); initProcess.waitUntilExit() }
        // chroot execs busybox: wait until the pid's root is the rootfs.
        let deadline = Date().addingTimeInterval(5)
        while (try? fm.destinationOfSymbolicLink(atPath: "/proc/\(initProcess.processIdentifier)/root")) != realPath(rootfs), Date() < deadline {
            usleep(5_000)
        }
        let scans = watcher.counters.rescans
        watcher.watchContainer(rootPID: ProcessID(initProcess.processIdentifier))
        while watcher.counters.rescans <= scans, Date() < deadline { usleep(5_000) }
        XCTAssertEqual(watcher.counters.marks, 1, "the in-container token should be marked", file: file, line: line)

        let reader = try Spawned.run(["/usr/sbin/chroot", rootfs, "/bin/busybox", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"])
        XCTAssertEqual(reader.status, 0, file: file, line: line)
        XCTAssertTrue(collector.waitForOpen(pid: reader.pid), file: file, line: line)
        let open = try XCTUnwrap(collector.fileOpens(pid: reader.pid).first, file: file, line: line)
        XCTAssertEqual(open.path, "/proc/\(initProcess.processIdentifier)/root/var/run/secrets/kubernetes.io/serviceaccount/token",
                       file: file, line: line)
        XCTAssertEqual(open.process?.argv, ["/bin/busybox", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"], file: file, line: line)
        return open
    }

    func testNotificationModeStillReportsThePid() throws {
        let volume = try FakeKubeletVolume(kubeletRoot: kubeletRoot, podUID: podUID)
        let (watcher, collector) = try startWatcher { $0.mode = .notification }
        XCTAssertEqual(watcher.mode, .notification)
        let cat = try Spawned.run(["/usr/bin/cat", volume.tokenPath])
        XCTAssertTrue(collector.waitForOpen(pid: cat.pid))
        XCTAssertEqual(collector.fileOpens(pid: cat.pid).count, 1)
        XCTAssertEqual(collector.fileOpens(pid: cat.pid).first?.path, volume.tokenPath)
        XCTAssertEqual(watcher.counters.allowed, 0, "nothing is held in notification mode")
    }

    func testFullStreamDropsAreCountedAndReported() throws {
        let volume = try FakeKubeletVolume(kubeletRoot: kubeletRoot, podUID: podUID)
        var configuration = TokenWatcher.Configuration()
        configuration.kubeletRoot = kubeletRoot
        configuration.hostTokenPaths = []
        configuration.bufferCapacity = 4
        let watcher = TokenWatcher(configuration: configuration)
        self.watcher = watcher
        try watcher.start()
        // Nobody consumes yet: 4 records fit, 6 are dropped.
        for _ in 0..<10 { XCTAssertEqual(try Spawned.run(["/usr/bin/cat", volume.tokenPath]).status, 0) }
        let deadline = Date().addingTimeInterval(5)
        while watcher.counters.events < 10, Date() < deadline { usleep(5_000) }
        XCTAssertEqual(watcher.counters.dropped, 6)
        let collector = RecordCollector(watcher.events)
        self.collector = collector
        XCTAssertTrue(collector.wait(timeout: 5) { $0.contains { if case .drop = $0.event { true } else { false } } })
        XCTAssertEqual(collector.fileOpens.count, 4)
        let drops = collector.records.compactMap { if case .drop(let d) = $0.event { d } else { nil } }
        XCTAssertEqual(drops.map(\.count), [6])
        XCTAssertEqual(drops.first?.source, "fanotify")
        XCTAssertEqual(watcher.counters.allowed, 10, "dropped records were still answered")
    }

    func testStartTwiceIsRefused() throws {
        let (watcher, _) = try startWatcher()
        XCTAssertThrowsError(try watcher.start()) { error in
            XCTAssertEqual(error as? TokenWatcherError, .alreadyStarted)
        }
    }
}
