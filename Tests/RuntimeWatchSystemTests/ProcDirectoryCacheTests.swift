// SPDX-License-Identifier: Apache-2.0
// ProcDirectoryCache: the /proc/<pid> directories kept open for processes read again and again.
// It is bounded (least recently used out first), never reads a process other than the one asked for
// when a start time is given (a recycled pid is played on a fake procfs tree: the directory of the
// first process is removed and a new one made under the same number, so the cached descriptor reads
// nothing, as the kernel's does once its process is reaped), forgets a pid on exit, and drops the
// entry of a real process that was reaped. Runs without privileges (our own children only).

import Foundation
import Glibc
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

final class ProcDirectoryCacheTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("rw-proccache-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    /// A fake /proc/<pid> of a process named `name` started at `start` ticks.
    func makeProcess(_ pid: Int32, name: String, start: UInt64) throws {
        let dir = root.appendingPathComponent("\(pid)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("fd"), withIntermediateDirectories: true)
        let files = [
            "cmdline": "\(name)\u{0}",
            "cgroup": "0::/\n",
            "stat": "\(pid) (\(name)) S 1 \(pid) \(pid) 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 \(start) 0 0\n",
            "status": "Name:\t\(name)\nPPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
        ]
        for (file, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(file)) }
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("exe").path, withDestinationPath: "/usr/bin/\(name)")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("cwd").path, withDestinationPath: "/")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("fd/0").path, withDestinationPath: "/dev/null")
    }

    func removeProcess(_ pid: Int32) throws {
        try FileManager.default.removeItem(at: root.appendingPathComponent("\(pid)"))
    }

    func testRepeatedReadsShareOneDirectory() throws {
        try makeProcess(100, name: "python3", start: 555)
        let cache = ProcDirectoryCache(root: root.path, capacity: 4, keepsFilesOpen: false)
        let reader = ProcReader(root: root.path)
        for _ in 0..<3 {
            let result = reader.read(pid: 100, directories: cache)
            XCTAssertEqual(result.outcome, .complete)
            XCTAssertEqual(result.info?.argv, ["python3"])
            XCTAssertEqual(result.info?.startTicks, 555)
        }
        XCTAssertEqual(cache.count, 1)
        XCTAssertTrue(cache.contains(pid: 100))
        // Reads through a cached directory are fresh: a change shows at once.
        try Data("python3\u{0}-c\u{0}".utf8).write(to: root.appendingPathComponent("100/cmdline"))
        XCTAssertEqual(reader.read(pid: 100, directories: cache).info?.argv, ["python3", "-c"])
    }

    /// A process read again within the reuse window (a connector connecting again and again) is
    /// read for its descriptors only while its cmdline and exe stay the same; a new cmdline (an exec)
    /// reads it all again, and without a window every read is full.
    func testReadsWithinTheReuseWindowTakeOnlyDescriptorsUntilAnExec() throws {
        try makeProcess(100, name: "python3", start: 555)
        let cache = ProcDirectoryCache(root: root.path, capacity: 4, keepsFilesOpen: false)
        let reader = ProcReader(root: root.path)
        let dir = root.appendingPathComponent("100")
        func read(_ window: Duration? = .seconds(600)) -> RuntimeWatchCore.ProcessInfo? {
            reader.read(pid: 100, directories: cache, reuseWindow: window).info
        }
        func relink(_ name: String, to target: String) throws {
            try FileManager.default.removeItem(at: dir.appendingPathComponent(name))
            try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent(name).path, withDestinationPath: target)
        }
        let first = try XCTUnwrap(read())
        XCTAssertEqual(first.credentials?.uid, 0)
        XCTAssertEqual(first.fds?.map(\.kind), [.devnull])
        // What only a full read would see changes; so do the descriptors.
        try Data("Name:\tpython3\nPPid:\t7\nUid:\t1000\t1000\t1000\t1000\nGid:\t0\t0\t0\t0\n".utf8).write(to: dir.appendingPathComponent("status"))
        try Data("0::/moved\n".utf8).write(to: dir.appendingPathComponent("cgroup"))
        try relink("fd/0", to: "pipe:[777]")
        let reused = try XCTUnwrap(read())
        XCTAssertEqual(reused.credentials?.uid, 0, "status is taken from the earlier read")
        XCTAssertEqual(reused.cgroup, "/")
        XCTAssertEqual(reused.fds?.map(\.kind), [.pipe], "descriptors are read every time")
        XCTAssertEqual(reused.fds?.first?.inode, 777)
        XCTAssertEqual(reused.argv, ["python3"])
        // Without a window: a full read, which sees everything.
        let full = try XCTUnwrap(read(nil))
        XCTAssertEqual(full.credentials?.uid, 1000)
        XCTAssertEqual(full.cgroup, "/moved")
        XCTAssertEqual(full.ppid, ProcessID(7))
        // An exec (here: new argv) reads fully, and that read is the one reused next.
        try Data("python3\0-c\0".utf8).write(to: dir.appendingPathComponent("cmdline"))
        try Data("Name:\tpython3\nPPid:\t7\nUid:\t2000\t2000\t2000\t2000\nGid:\t0\t0\t0\t0\n".utf8).write(to: dir.appendingPathComponent("status"))
        let afterExec = try XCTUnwrap(read())
        XCTAssertEqual(afterExec.argv, ["python3", "-c"])
        XCTAssertEqual(afterExec.credentials?.uid, 2000)
        // So does a new exe with the same argv.
        try relink("exe", to: "/usr/bin/python3.11")
        try Data("Name:\tpython3\nPPid:\t7\nUid:\t3000\t3000\t3000\t3000\nGid:\t0\t0\t0\t0\n".utf8).write(to: dir.appendingPathComponent("status"))
        let newExe = try XCTUnwrap(read())
        XCTAssertEqual(newExe.exe, "/usr/bin/python3.11")
        XCTAssertEqual(newExe.credentials?.uid, 3000)
        try Data("Name:\tpython3\nPPid:\t7\nUid:\t4000\t4000\t4000\t4000\nGid:\t0\t0\t0\t0\n".utf8).write(to: dir.appendingPathComponent("status"))
        XCTAssertEqual(read()?.credentials?.uid, 3000, "the read after the exec is the one reused")
    }

    /// A connect's own report of the exe (audit's `exe=`) that names the exe of the read being reused
    /// spares the exe link: here the link is made to read otherwise, and the reused read still says
    /// the reported exe and takes status from the earlier read. A new argv (an exec) still reads
    /// everything, link included; a reported exe that is not the earlier read's reads the link.
    func testAReportedExeSparesTheExeLinkButNotCmdline() throws {
        try makeProcess(100, name: "python3", start: 555)
        let cache = ProcDirectoryCache(root: root.path, capacity: 4, keepsFilesOpen: false)
        let reader = ProcReader(root: root.path)
        let dir = root.appendingPathComponent("100")
        func read(knownExe: String?) -> RuntimeWatchCore.ProcessInfo? {
            reader.read(pid: 100, directories: cache, reuseWindow: .seconds(600), knownExe: knownExe).info
        }
        func setUID(_ uid: Int) throws {
            try Data("Name:\tpython3\nPPid:\t1\nUid:\t\(uid)\t\(uid)\t\(uid)\t\(uid)\nGid:\t0\t0\t0\t0\n".utf8).write(to: dir.appendingPathComponent("status"))
        }
        XCTAssertEqual(read(knownExe: nil)?.exe, "/usr/bin/python3")
        try setUID(1000)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("exe"))
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("exe").path, withDestinationPath: "/usr/bin/other")
        let spared = try XCTUnwrap(read(knownExe: "/usr/bin/python3"))
        XCTAssertEqual(spared.exe, "/usr/bin/python3", "the exe link was not read")
        XCTAssertEqual(spared.credentials?.uid, 0, "the earlier read is reused")
        // The link read (no reported exe) differs from the earlier read: a full read.
        let linkRead = try XCTUnwrap(read(knownExe: nil))
        XCTAssertEqual(linkRead.exe, "/usr/bin/other")
        XCTAssertEqual(linkRead.credentials?.uid, 1000)
        // A new argv with the reported exe matching: still a full read (status read anew).
        try Data("python3\u{0}-c\u{0}".utf8).write(to: dir.appendingPathComponent("cmdline"))
        try setUID(2000)
        let exec = try XCTUnwrap(read(knownExe: "/usr/bin/other"))
        XCTAssertEqual(exec.argv, ["python3", "-c"])
        XCTAssertEqual(exec.credentials?.uid, 2000)
        // A reported exe other than the earlier read's: the link is read (it still says "other",
        // so the earlier read is reused and status is not read).
        try setUID(3000)
        let other = try XCTUnwrap(read(knownExe: "/usr/bin/python3"))
        XCTAssertEqual(other.exe, "/usr/bin/other")
        XCTAssertEqual(other.credentials?.uid, 2000)
    }

    /// Within the reuse window a descriptor whose link reads as before is taken from the earlier read:
    /// a named pipe (`mkfifo`) is not stat'ed again (here the FIFO at that path is replaced, and the
    /// re-read still says the first one's inode), while a link that changed (a `dup2`) is classified
    /// afresh. Without a window, the path is stat'ed again. A socket is taken from the earlier read
    /// only once its peer was found connected.
    func testReusedReadTakesADescriptorWhoseLinkIsUnchangedFromTheEarlierRead() throws {
        try makeProcess(100, name: "nc", start: 555)
        let cache = ProcDirectoryCache(root: root.path, capacity: 4, keepsFilesOpen: false)
        let reader = ProcReader(root: root.path)
        let dir = root.appendingPathComponent("100")
        /// A new FIFO at `name` (made aside and renamed over it, so it cannot get the old one's inode back).
        func fifo(_ name: String) throws -> (path: String, inode: UInt64) {
            let path = root.appendingPathComponent(name).path
            XCTAssertEqual(mkfifo(path + ".new", 0o600), 0, "mkfifo \(path): \(errno)")
            XCTAssertEqual(rename(path + ".new", path), 0)
            var st = stat()
            XCTAssertEqual(stat(path, &st), 0)
            return (path, UInt64(st.st_ino))
        }
        func relink(_ name: String, to target: String) throws {
            try? FileManager.default.removeItem(at: dir.appendingPathComponent(name))
            try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent(name).path, withDestinationPath: target)
        }
        func fd1(_ window: Duration? = .seconds(600)) -> DescriptorInfo? {
            reader.read(pid: 100, directories: cache, reuseWindow: window).info?.fds?.first { $0.fd == 1 }
        }
        let first = try fifo("f1")
        try relink("fd/1", to: first.path)
        XCTAssertEqual(fd1()?.kind, .pipe, "a named pipe is a pipe")
        XCTAssertEqual(fd1()?.inode, first.inode)

        let replaced = try fifo("f1")   // same path, another FIFO (a new inode)
        XCTAssertNotEqual(replaced.inode, first.inode)
        XCTAssertEqual(fd1()?.inode, first.inode, "same link within the window: taken from the earlier read")
        XCTAssertEqual(fd1(nil)?.inode, replaced.inode, "no window: stat'ed again")

        let other = try fifo("f2")
        try relink("fd/1", to: other.path)
        XCTAssertEqual(fd1()?.inode, other.inode, "a link that changed is classified afresh")
        try relink("fd/1", to: "socket:[4242]")
        XCTAssertEqual(fd1()?.kind, .socket, "so is a dup2 of a socket onto it")
        XCTAssertEqual(fd1()?.inode, 4242)
        XCTAssertNil(fd1()?.socket, "not in the net tables yet (put on fd 1 before its connect)")
        // It connects: a socket whose peer was not found is looked up again, the same link or not.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("net"), withIntermediateDirectories: true)
        let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        let line = "   3: 0100007F:A2C4 0700A8C0:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 20 4 30 10 -1\n"
        try Data((header + line).utf8).write(to: dir.appendingPathComponent("net/tcp"))
        XCTAssertEqual(fd1()?.socket?.remoteAddress, "192.168.0.7", "looked up again once connected")
        // Once a full read (here after an exec) found it connected, it is settled: the table is not
        // read again while the link stays.
        try Data("nc\0-e\0".utf8).write(to: dir.appendingPathComponent("cmdline"))
        XCTAssertEqual(fd1()?.socket?.remoteAddress, "192.168.0.7")
        try Data(header.utf8).write(to: dir.appendingPathComponent("net/tcp"))
        XCTAssertEqual(fd1()?.socket?.remoteAddress, "192.168.0.7", "a connected peer is taken from the earlier read")
        XCTAssertNil(fd1(nil)?.socket, "no window: looked up again")
    }

    /// The same for task reads (a token opener): status and cgroup, and the mount namespace and root,
    /// come from the last complete task read while cmdline and exe stay the same; the open flags are
    /// read every time; an extra the earlier read did not get is read; an exec reads all again; and
    /// a process read (`read(pid:)`) is never taken for a task read.
    func testTaskReadsWithinTheReuseWindowReuseWhatDoesNotChangeWithoutExec() throws {
        try makeProcess(100, name: "cat", start: 555)
        let cache = ProcDirectoryCache(root: root.path, capacity: 4, keepsFilesOpen: false)
        let reader = ProcReader(root: root.path)
        let dir = root.appendingPathComponent("100")
        func status(uid: Int) throws {
            try Data("Name:\tcat\nTgid:\t100\nPPid:\t7\nUid:\t\(uid)\t\(uid)\t\(uid)\t\(uid)\nGid:\t0\t0\t0\t0\n".utf8)
                .write(to: dir.appendingPathComponent("status"))
        }
        func link(_ name: String, to target: String) throws {
            let path = dir.appendingPathComponent(name).path
            try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
        }
        func syscall(flags: Int) throws {
            // openat(AT_FDCWD, path, flags): the flags are the third argument.
            try Data("257 0xffffffffffffff9c 0x7ffd0000 0x\(String(flags, radix: 16)) 0x0 0x0 0x0 0x7ffd 0x7f00\n".utf8)
                .write(to: dir.appendingPathComponent("syscall"))
        }
        func read(_ extras: ProcReader.TaskExtras = [.openAccess, .root, .mountNamespace]) -> TaskRead {
            reader.readTask(100, extras: extras, directories: cache, reuseWindow: .seconds(600))
        }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("ns"), withIntermediateDirectories: true)
        try link("root", to: "/")
        try syscall(flags: 0)
        try status(uid: 1000)
        _ = reader.read(pid: 100, directories: cache, reuseWindow: .seconds(600))   // a process read: not for tasks
        try status(uid: 1001)
        let first = read([.openAccess, .root])   // the namespace not asked for (as when over the batch's budget)
        XCTAssertEqual(first.process().info?.credentials?.uid, 1001, "the first task read is full")
        XCTAssertEqual(first.extras.root, "/")
        XCTAssertNil(first.extras.mountNamespace)

        try status(uid: 1002)
        try Data("0::/moved\n".utf8).write(to: dir.appendingPathComponent("cgroup"))
        try link("root", to: "/jail")
        try link("ns/mnt", to: "mnt:[4026532001]")
        try syscall(flags: 1)   // O_WRONLY
        let again = read()
        XCTAssertEqual(again.process().outcome, .complete)
        XCTAssertEqual(again.process().info?.credentials?.uid, 1001, "status from the earlier read")
        XCTAssertEqual(again.process().info?.cgroup, "/")
        XCTAssertEqual(again.extras.root, "/", "root from the earlier read")
        XCTAssertEqual(again.extras.mountNamespace, "mnt:[4026532001]", "what the earlier read lacks is read")
        XCTAssertEqual(again.extras.openAccess?.isWriteOnly, true, "the open flags are read every time")

        try Data("cat\0token\0".utf8).write(to: dir.appendingPathComponent("cmdline"))
        let afterExec = read()
        XCTAssertEqual(afterExec.process().info?.argv, ["cat", "token"])
        XCTAssertEqual(afterExec.process().info?.credentials?.uid, 1002)
        XCTAssertEqual(afterExec.process().info?.cgroup, "/moved")
        XCTAssertEqual(afterExec.extras.root, "/jail", "an exec reads the root again")
        try link("root", to: "/elsewhere")
        try link("ns/mnt", to: "mnt:[4026532002]")
        let afterThat = read()
        XCTAssertEqual(afterThat.extras.root, "/jail", "the read after the exec is the one reused")
        XCTAssertEqual(afterThat.extras.mountNamespace, "mnt:[4026532001]")
        XCTAssertEqual(reader.readTask(100, extras: .root, directories: cache).extras.root, "/elsewhere", "no window: full")
        XCTAssertEqual(reader.readTask(100, directories: cache).process().info?.credentials?.uid, 1002, "no window: full")
    }

    func testBoundedLeastRecentlyUsedGoesFirst() throws {
        for pid: Int32 in [1, 2, 3] { try makeProcess(pid, name: "sh", start: 10) }
        let cache = ProcDirectoryCache(root: root.path, capacity: 2, keepsFilesOpen: false)
        let reader = ProcReader(root: root.path)
        _ = reader.read(pid: 1, directories: cache)
        _ = reader.read(pid: 2, directories: cache)
        _ = reader.read(pid: 1, directories: cache)   // 2 is now the least recently used
        XCTAssertEqual(reader.read(pid: 3, directories: cache).outcome, .complete)
        XCTAssertEqual(cache.count, 2)
        XCTAssertTrue(cache.contains(pid: 1))
        XCTAssertFalse(cache.contains(pid: 2))
        XCTAssertTrue(cache.contains(pid: 3))
        // Capacity 0 keeps nothing and still reads.
        let none = ProcDirectoryCache(root: root.path, capacity: 0, keepsFilesOpen: false)
        XCTAssertEqual(reader.read(pid: 1, directories: none).outcome, .complete)
        XCTAssertEqual(none.count, 0)
    }

    func testRecycledPidIsNeverReadAsTheProcessAskedFor() throws {
        try makeProcess(100, name: "sh", start: 555)
        let cache = ProcDirectoryCache(root: root.path, capacity: 4, keepsFilesOpen: false)
        let reader = ProcReader(root: root.path)
        XCTAssertEqual(reader.read(pid: 100, startTicks: 555, directories: cache).info?.argv, ["sh"])

        // The shell is reaped and its pid goes to another process.
        try removeProcess(100)
        try makeProcess(100, name: "stranger", start: 777)

        // Asked for the shell: the cached directory reads nothing, and the new /proc/100 is not it.
        let wanted = reader.read(pid: 100, startTicks: 555, directories: cache)
        XCTAssertNil(wanted.info)
        XCTAssertEqual(wanted.outcome, .vanished)
        XCTAssertFalse(cache.contains(pid: 100), "the reaped process's directory is dropped")

        // Asked for whoever has the pid now: the stranger, read as itself.
        let now = reader.read(pid: 100, directories: cache)
        XCTAssertEqual(now.info?.argv, ["stranger"])
        XCTAssertEqual(now.info?.startTicks, 777)
        XCTAssertTrue(cache.contains(pid: 100))

        // With the stranger cached, asking for the shell still reads nothing, and keeps the stranger's entry.
        XCTAssertNil(reader.read(pid: 100, startTicks: 555, directories: cache).info)
        XCTAssertTrue(cache.contains(pid: 100))
        XCTAssertEqual(reader.read(pid: 100, startTicks: 777, directories: cache).info?.argv, ["stranger"])
    }

    func testReadWithoutStartTimeReopensAfterReuse() throws {
        try makeProcess(100, name: "sh", start: 555)
        let cache = ProcDirectoryCache(root: root.path, capacity: 4, keepsFilesOpen: false)
        let reader = ProcReader(root: root.path)
        _ = reader.readTask(100, directories: cache)
        try removeProcess(100)
        try makeProcess(100, name: "cat", start: 900)
        let read = reader.readTask(100, directories: cache).process()
        XCTAssertEqual(read.outcome, .complete)
        XCTAssertEqual(read.info?.argv, ["cat"], "the cached directory of the reaped process read nothing; /proc/100 was opened afresh")
    }

    func testExitForgetsThePid() throws {
        try makeProcess(100, name: "sh", start: 555)
        let cache = ProcDirectoryCache(root: root.path, capacity: 4, keepsFilesOpen: false)
        let reader = ProcReader(root: root.path)
        _ = reader.read(pid: 100, directories: cache)
        XCTAssertTrue(cache.contains(pid: 100))
        cache.forget(pid: 100)
        XCTAssertFalse(cache.contains(pid: 100))
        XCTAssertEqual(cache.count, 0)
        cache.forget(pid: 100)   // twice, or a pid never seen: nothing happens
        XCTAssertEqual(reader.read(pid: 100, directories: cache).outcome, .complete)
    }

    /// A real process: its files stay open in the cache and still read fresh (the exec shows), and
    /// once it is reaped its entry reads nothing and is dropped.
    func testRealProcessReadsFreshAndIsDroppedWhenReaped() throws {
        let (readEnd, writeEnd) = makePipe()
        let child = try Spawn.run(["/bin/sh", "-c", "read x; exec /bin/sleep 30"], stdin: readEnd)
        close(readEnd)
        var reaped = false
        defer {
            close(writeEnd)
            if !reaped { Spawn.reap(child, timeout: 0) }
        }
        let cache = ProcDirectoryCache(capacity: 4)
        let reader = ProcReader()
        func waitForArgv0(_ argv0: String) -> ProcReadResult {
            let deadline = Date().addingTimeInterval(5)
            var result = reader.read(pid: child, directories: cache)
            while result.info?.argv?.first != argv0, Date() < deadline {
                usleep(5_000)
                result = reader.read(pid: child, directories: cache)
            }
            return result
        }
        let shell = waitForArgv0("/bin/sh")
        XCTAssertEqual(shell.outcome, .complete)
        let start = try XCTUnwrap(shell.info?.startTicks)
        XCTAssertTrue(cache.contains(pid: child))
        XCTAssertEqual(write(writeEnd, "go\n", 3), 3)
        let sleeper = waitForArgv0("/bin/sleep")
        XCTAssertEqual(sleeper.info?.argv, ["/bin/sleep", "30"], "kept-open files read afresh after the exec")
        XCTAssertEqual(sleeper.info?.startTicks, start)
        XCTAssertEqual(cache.count, 1)

        kill(child, SIGKILL)
        var status: Int32 = 0
        XCTAssertEqual(waitpid(child, &status, 0), child)
        reaped = true
        XCTAssertNil(reader.read(pid: child, startTicks: start, directories: cache).info)
        XCTAssertFalse(cache.contains(pid: child))
    }
}
