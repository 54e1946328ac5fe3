// SPDX-License-Identifier: Apache-2.0
// ProcReader end to end over a fake procfs tree in a temp directory (files and symlinks laid out
// like /proc/<pid>): complete reads, a process that "vanishes" mid-read, zombies, oversize and
// garbage files, and task reads (readTask: a thread's process, a held open's flags, the extras'
// deadline). Runs without privileges.

import Foundation
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

final class ProcReaderFixtureTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("rw-procfs-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    /// Writes a fake /proc/<pid>. `files` are regular files, `links` symlinks (targets need not exist).
    func makeProcess(_ pid: Int32, files: [String: String], links: [String: String] = [:]) throws {
        let dir = root.appendingPathComponent("\(pid)")
        for (name, text) in files {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        for (name, target) in links {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    static let containerID = String(repeating: "0123456789abcdef", count: 4)
    static let status = "Name:\tnc\nPPid:\t4000\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapEff:\t00000000a80425fb\n"
    static let stat = "4242 (nc) S 4000 4242 4000 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0\n"
    static let tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0200000A:D431 076433C6:115C 01 00000000:00000000 00:00000000 00000000     0        0 9001 1
        """

    func testCompleteRead() throws {
        try makeProcess(4242, files: [
            "cmdline": "nc\u{0}198.51.100.7\u{0}4444\u{0}",
            "cgroup": "0::/system.slice/docker-\(Self.containerID).scope\n",
            "stat": Self.stat, "status": Self.status, "net/tcp": Self.tcp,
        ], links: ["exe": "/usr/bin/nc.openbsd", "cwd": "/root", "fd/0": "socket:[9001]", "fd/1": "socket:[9001]", "fd/2": "/dev/null"])
        let result = ProcReader(root: root.path).read(pid: 4242)
        XCTAssertEqual(result.outcome, .complete)
        XCTAssertEqual(result.issues, [])
        let info = try XCTUnwrap(result.info)
        XCTAssertEqual(info.pid, ProcessID(4242))
        XCTAssertEqual(info.ppid, ProcessID(4000))
        XCTAssertEqual(info.comm, "nc")
        XCTAssertEqual(info.exe, "/usr/bin/nc.openbsd")
        XCTAssertEqual(info.argv, ["nc", "198.51.100.7", "4444"])
        XCTAssertEqual(info.cwd, "/root")
        XCTAssertEqual(info.cgroup, "/system.slice/docker-\(Self.containerID).scope")
        XCTAssertEqual(info.credentials, Credentials(uid: 0, euid: 0, gid: 0, egid: 0, capEff: 0xa80425fb))
        XCTAssertEqual(info.startTicks, 555)
        XCTAssertEqual(info.source, "proc")
        let socket = DescriptorInfo.Socket(family: "inet", proto: "tcp", localAddress: "10.0.0.2", localPort: 54321,
                                           remoteAddress: "198.51.100.7", remotePort: 4444, state: "ESTABLISHED")
        XCTAssertEqual(info.fds, [
            DescriptorInfo(fd: 0, kind: .socket, target: "socket:[9001]", inode: 9001, socket: socket),
            DescriptorInfo(fd: 1, kind: .socket, target: "socket:[9001]", inode: 9001, socket: socket),
            DescriptorInfo(fd: 2, kind: .devnull, target: "/dev/null"),
        ])
    }

    /// A real executable file for a fake process's exe link (a brief read examines its mode).
    func makeExecutable(_ name: String, mode: mode_t) throws -> String {
        let path = root.appendingPathComponent("bin/\(name)").path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data("#!/bin/true\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(chmod(path, mode), 0)
        return path
    }

    func testBriefReadTakesCmdlineExeAndCgroupOnly() throws {
        let exe = try makeExecutable("true", mode: 0o755)
        try makeProcess(4250, files: ["cmdline": "true\u{0}--version\u{0}", "cgroup": "0::/user.slice\n",
                                      "stat": Self.stat, "status": Self.status],
                        links: ["exe": exe, "cwd": "/root", "fd/0": "/dev/null"])
        let reader = ProcReader(root: root.path)
        let result = reader.finish(reader.begin(pid: 4250), depth: .brief)
        XCTAssertEqual(result.outcome, .complete)
        let info = try XCTUnwrap(result.info)
        XCTAssertEqual(info.source, "brief")
        XCTAssertEqual(info.argv, ["true", "--version"])
        XCTAssertEqual(info.exe, exe)
        XCTAssertEqual(info.cgroup, "/user.slice")
        XCTAssertEqual(info.comm, "true", "comm as the kernel sets it at exec: the file's base name")
        XCTAssertNil(info.credentials, "inherited at fork, not read")
        XCTAssertNil(info.ppid, "known from the fork, not read")
        XCTAssertNil(info.cwd)
        XCTAssertNil(info.fds)
        XCTAssertNil(info.startTicks)
        // The same process read fully has everything.
        XCTAssertEqual(reader.read(pid: 4250).info?.source, "proc")
    }

    func testBriefReadOfASetIDExecutableReadsFully() throws {
        for mode: mode_t in [0o4755, 0o2755] {
            let pid: Int32 = mode == 0o4755 ? 4251 : 4252
            let exe = try makeExecutable("su-\(pid)", mode: mode)
            try makeProcess(pid, files: ["cmdline": "su\u{0}", "cgroup": "0::/user.slice\n", "stat": Self.stat, "status": Self.status],
                            links: ["exe": exe, "cwd": "/root", "fd/0": "/dev/null"])
            let reader = ProcReader(root: root.path)
            let result = reader.finish(reader.begin(pid: pid), depth: .brief)
            XCTAssertEqual(result.info?.source, "proc", "mode \(String(mode, radix: 8)): the exec changed its credentials")
            XCTAssertEqual(result.info?.credentials?.uid, 0)
        }
    }

    /// The capture loop keeps, per executable state (inode and ctime), whether the executable has file
    /// capabilities: the same executable is asked once, and a change of its capabilities or mode
    /// (which moves its ctime) is seen at the next exec.
    func testBriefReadsRememberFileCapabilitiesPerExecutableState() throws {
        let exe = try makeExecutable("ping", mode: 0o755)
        try makeProcess(4254, files: ["cmdline": "ping\u{0}", "cgroup": "0::/user.slice\n", "stat": Self.stat, "status": Self.status],
                        links: ["exe": exe, "cwd": "/root", "fd/0": "/dev/null"])
        let reader = ProcReader(root: root.path)
        let executables = ExecutableCredentials()
        func source() -> String? { reader.finish(reader.begin(pid: 4254), depth: .brief, executables: executables).info?.source }

        XCTAssertEqual(source(), "brief")
        XCTAssertEqual(source(), "brief")
        XCTAssertEqual(executables.count, 1, "one executable state, asked once")

        let setcap = ["/usr/sbin/setcap", "/sbin/setcap"].first { FileManager.default.isExecutableFile(atPath: $0) }
        if getuid() == 0, let setcap {
            func run(_ arguments: [String]) throws {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: setcap)
                process.arguments = arguments
                try process.run()
                process.waitUntilExit()
                XCTAssertEqual(process.terminationStatus, 0, "setcap \(arguments)")
            }
            usleep(10_000) // a later ctime than the first state's, whatever the file system's granularity
            try run(["cap_net_raw+ep", exe])
            XCTAssertEqual(source(), "proc", "file capabilities set after the first exec: credentials read")
            XCTAssertEqual(executables.count, 2)
            usleep(10_000)
            try run(["-r", exe])
            XCTAssertEqual(source(), "brief", "capabilities removed: brief again")
            XCTAssertEqual(executables.count, 3)
        } else {
            print("ProcReaderFixtureTests: file-capability part skipped: needs root and setcap (libcap2-bin)")
        }

        usleep(10_000)
        XCTAssertEqual(chmod(exe, 0o4755), 0)
        XCTAssertEqual(source(), "proc", "set-user-ID after the first exec: credentials read")
    }

    func testBriefReadOfAnUnexaminableExecutableReadsFully() throws {
        // The exe link leads nowhere (gone, or another mount namespace's path): not known to keep
        // the inherited credentials, so read them.
        try makeProcess(4253, files: ["cmdline": "x\u{0}", "cgroup": "0::/user.slice\n", "stat": Self.stat, "status": Self.status],
                        links: ["exe": "/nonexistent/x", "cwd": "/root"])
        let reader = ProcReader(root: root.path)
        XCTAssertEqual(reader.finish(reader.begin(pid: 4253), depth: .brief).info?.source, "proc")
    }

    func testMissingPidIsVanishedNotAnError() {
        let result = ProcReader(root: root.path).read(pid: 31337)
        XCTAssertEqual(result.outcome, .vanished)
        XCTAssertNil(result.info)
        XCTAssertEqual(result.issues, [])
    }

    func testProcessGoneAfterTheFirstReadsIsPartialWithWhatWasRead() throws {
        // Only what the reader reads first exists: the "process" disappeared after cgroup.
        try makeProcess(4243, files: ["cmdline": "/bin/true\u{0}", "cgroup": "0::/user.slice\n"], links: ["exe": "/usr/bin/true"])
        let result = ProcReader(root: root.path).read(pid: 4243)
        XCTAssertEqual(result.outcome, .partial)
        XCTAssertEqual(result.info?.argv, ["/bin/true"])
        XCTAssertEqual(result.info?.exe, "/usr/bin/true")
        XCTAssertEqual(result.info?.cgroup, "/user.slice")
        XCTAssertEqual(result.info?.source, "partial")
        XCTAssertNil(result.info?.credentials)
        XCTAssertNil(result.info?.cwd)
    }

    /// The kernel prints parent 0 for a task that is no longer alive (an exec read that lagged
    /// behind `cat token` exiting): that is "unknown", never a parent, or the fork's parent is lost
    /// and the alert has no ancestry. Pid 1's 0 is real.
    func testParentZeroOfAnExitingTaskIsUnknown() throws {
        let dying = Self.status.replacingOccurrences(of: "PPid:\t4000", with: "PPid:\t0")
        try makeProcess(4246, files: ["cmdline": "cat\u{0}token\u{0}", "cgroup": "0::/\n",
                                      "stat": "4246 (cat) R 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0", "status": dying],
                        links: ["exe": "/usr/bin/cat"])
        let result = ProcReader(root: root.path).read(pid: 4246)
        XCTAssertNil(result.info?.ppid)
        XCTAssertEqual(result.info?.credentials?.uid, 0, "the rest of status is still read")
        XCTAssertNil(ProcReader(root: root.path).readTask(4246).process().info?.ppid, "the token opener's read too")
        try makeProcess(1, files: ["cmdline": "/sbin/init\u{0}", "cgroup": "0::/\n",
                                   "stat": "1 (systemd) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0", "status": dying])
        XCTAssertEqual(ProcReader(root: root.path).read(pid: 1).info?.ppid, ProcessID(0))
    }

    func testZombieIsPartial() throws {
        try makeProcess(4244, files: ["cmdline": "", "cgroup": "0::/\n", "stat": "4244 (sh) Z 1 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0", "status": Self.status])
        let result = ProcReader(root: root.path).read(pid: 4244)
        XCTAssertEqual(result.outcome, .partial)
        XCTAssertNil(result.info?.argv)
        XCTAssertEqual(result.info?.comm, "sh")
        XCTAssertNil(result.info?.fds, "a zombie has no descriptors to read")
    }

    /// A task already reaped, read through files opened before: status says Tgid 0 and PPid 0
    /// (seen live: an exec storm's lagging read reported pid 0, and that exec was lost).
    func testReleasedTaskKeepsThePidAskedForAndIsPartial() throws {
        let released = "Name:\ttrue\nTgid:\t0\nPid:\t0\nPPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapEff:\t0\n"
        try makeProcess(4300, files: ["cmdline": "", "cgroup": "0::/\n", "status": released,
                                      "stat": "0 (true) X 0 0 0 0 -1 4194308 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0"])
        let reader = ProcReader(root: root.path)
        for result in [reader.read(pid: 4300), reader.finish(reader.begin(pid: 4300), depth: .full)] {
            XCTAssertEqual(result.info?.pid, ProcessID(4300))
            XCTAssertNil(result.info?.ppid)
            XCTAssertEqual(result.outcome, .partial)
        }
        let task = reader.readTask(4300).process()
        XCTAssertEqual(task.info?.pid, ProcessID(4300), "the token opener's read too")
    }

    /// On a host with cgroup v1 hierarchies, the kernel shows "/" in every v1 line of a task that
    /// has begun to exit: such a root stands only when stat says the process is not exiting.
    func testRootCgroupOfAnExitingProcessOnAV1HostIsLeftUnknown() throws {
        let v1Root = "4:memory:/\n3:cpuset:/\n1:cpu:/\n0::/\n"
        let exiting = "4310 (true) R 4000 4310 4000 0 -1 4194308 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0"   // PF_EXITING
        let running = "4310 (true) R 4000 4310 4000 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 77 0 0"
        let exe = try makeExecutable("true", mode: 0o755)
        func read(cgroup: String, stat: String?, depth: ProcReader.Depth) throws -> ProcReadResult {
            try? FileManager.default.removeItem(at: root.appendingPathComponent("4310"))
            var files = ["cmdline": "true\u{0}", "cgroup": cgroup, "status": Self.status]
            if let stat { files["stat"] = stat }
            try makeProcess(4310, files: files, links: ["exe": exe, "cwd": "/"])
            let reader = ProcReader(root: root.path)
            return reader.finish(reader.begin(pid: 4310), depth: depth)
        }
        for depth in [ProcReader.Depth.brief, .full] {
            let dying = try read(cgroup: v1Root, stat: exiting, depth: depth)
            XCTAssertNil(dying.info?.cgroup, "\(depth): an exiting task's v1 root says nothing")
            XCTAssertEqual(dying.outcome, .partial, "\(depth)")
            XCTAssertEqual(dying.info?.argv, ["true"], "\(depth): the rest of the read stands")
            XCTAssertNil(try read(cgroup: v1Root, stat: nil, depth: depth).info?.cgroup, "\(depth): no stat, no proof")
            let alive = try read(cgroup: v1Root, stat: running, depth: depth)
            XCTAssertEqual(alive.info?.cgroup, "/", "\(depth): a running process in the root cgroup")
            XCTAssertEqual(alive.outcome, .complete, "\(depth)")
            // Any non-root path, and any root on a v2-only host (v2 lines keep their path at exit), stands.
            XCTAssertEqual(try read(cgroup: "4:memory:/kubepods/pod1/abc\n0::/\n", stat: exiting, depth: depth).info?.cgroup,
                           "/kubepods/pod1/abc", "\(depth)")
            XCTAssertEqual(try read(cgroup: "0::/\n", stat: exiting, depth: depth).info?.cgroup, "/", "\(depth)")
        }
    }

    func testAbsurdAndGarbageFilesAreBoundedAndReportedWithoutLosingTheRest() throws {
        let hugeArgument = String(repeating: "A", count: 10_000)
        try makeProcess(4245, files: [
            "cmdline": "/bin/sh\u{0}\(hugeArgument)\u{0}",
            "cgroup": "this is not a cgroup file\n",
            "stat": "\u{0}\u{1}\u{2} binary junk",
            "status": "PPid:\tminus-one\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n",
        ], links: ["exe": "/usr/bin/dash", "cwd": "/"])
        var limits = ProcReader.Limits()
        limits.cmdline = 1024
        let result = ProcReader(root: root.path, limits: limits).read(pid: 4245)
        XCTAssertEqual(result.outcome, .complete)
        let info = try XCTUnwrap(result.info)
        XCTAssertEqual(info.argv?.first, "/bin/sh")
        XCTAssertEqual(info.argv?.last?.count, 1024 - "/bin/sh\u{0}".utf8.count, "the argument is cut at the cap")
        XCTAssertEqual(info.truncated, ["argv"], "and the cut is marked for the state and alerts")
        XCTAssertEqual(info.exe, "/usr/bin/dash")
        XCTAssertEqual(info.credentials?.uid, 0, "good status lines survive a bad one")
        XCTAssertNil(info.ppid)
        XCTAssertNil(info.cgroup)
        let described = result.issues.map(\.description)
        XCTAssertTrue(described.contains("/proc/4245/cmdline: longer than 1024 bytes; truncated"), "\(described)")
        XCTAssertTrue(described.contains { $0.hasPrefix("/proc/4245/cgroup: no valid") }, "\(described)")
        XCTAssertTrue(described.contains("/proc/4245/stat: no parenthesised comm field"), "\(described)")
        XCTAssertTrue(described.contains { $0.hasPrefix("/proc/4245/status: line 1: PPid") }, "\(described)")
    }

    // MARK: readTask

    static let threadStatus = "Name:\tcat\nTgid:\t5000\nPid:\t5001\nPPid:\t4999\nUid:\t1000\t1001\t1000\t1000\nGid:\t2000\t2001\t2000\t2000\nCapEff:\t0000000000000000\n"

    /// A thread 5001 of process 5000 held in `syscall` (as /proc/<tid>/syscall shows it).
    func makeHeldThread(syscall: String, extraFiles: [String: String] = [:]) throws {
        try makeProcess(5001, files: [
            "status": Self.threadStatus, "cmdline": "cat\u{0}/var/run/secrets/token\u{0}",
            "cgroup": "0::/kubepods.slice/cri-containerd-\(Self.containerID).scope\n", "syscall": syscall,
        ].merging(extraFiles) { $1 }, links: ["exe": "/usr/bin/cat", "ns/mnt": "mnt:[4026532999]", "root": "/"])
    }

    func testTaskReadOfAThreadNamesItsProcessAndTheHeldOpenFlags() throws {
        // openat(AT_FDCWD, path, O_WRONLY|O_CREAT|O_APPEND)
        try makeHeldThread(syscall: "257 0xffffffffffffff9c 0x7ffd5a3c 0x441 0x1a4 0x0 0x0 0x7ffd5a00 0x7f1234567890\n")
        let read = ProcReader(root: root.path).readTask(5001, extras: [.openAccess, .mountNamespace, .root])
        let result = read.process()
        XCTAssertEqual(result.outcome, .complete)
        XCTAssertEqual(result.issues, [])
        let info = try XCTUnwrap(result.info)
        XCTAssertEqual(info.pid, ProcessID(5000), "the thread's process (Tgid), not the tid")
        XCTAssertEqual(info.ppid, ProcessID(4999))
        XCTAssertEqual(info.credentials, Credentials(uid: 1000, euid: 1001, gid: 2000, egid: 2001, capEff: 0))
        XCTAssertEqual(info.comm, "cat")
        XCTAssertEqual(info.argv, ["cat", "/var/run/secrets/token"])
        XCTAssertEqual(info.exe, "/usr/bin/cat")
        XCTAssertEqual(info.cgroup, "/kubepods.slice/cri-containerd-\(Self.containerID).scope")
        XCTAssertEqual(info.source, "proc")
        XCTAssertEqual(read.extras, TaskExtrasRead(openAccess: .writeOnly, mountNamespace: "mnt:[4026532999]", root: "/"))
    }

    func testTaskReadFollowsOpenat2FlagsIntoTheTasksMemory() throws {
        #if arch(x86_64) || arch(arm64)
        // openat2(AT_FDCWD, path, how = 0x10, size 24); struct open_how.flags at 0x10 is O_RDWR.
        var memory = [UInt8](repeating: 0xAA, count: 0x10)
        memory += withUnsafeBytes(of: UInt64(2).littleEndian, Array.init)
        try makeHeldThread(syscall: "437 0xffffffffffffff9c 0x7ffd5a3c 0x10 0x18 0x0 0x0 0x7ffd5a00 0x7f1234567890\n")
        try Data(memory).write(to: root.appendingPathComponent("5001/mem"))
        XCTAssertEqual(ProcReader(root: root.path).readTask(5001, extras: .openAccess).extras.openAccess, .readWrite)
        // A pointer past the mapped memory: unknown, not a guess.
        try Data("437 0xffffffffffffff9c 0x7ffd5a3c 0x1000 0x18 0x0 0x0 0x7ffd5a00 0x7f1234567890\n".utf8)
            .write(to: root.appendingPathComponent("5001/syscall"))
        XCTAssertEqual(ProcReader(root: root.path).readTask(5001, extras: .openAccess).extras.openAccess, .unknown)
        #endif
    }

    func testPassedDeadlineSkipsOnlyTheNamespaceAndRoot() throws {
        try makeHeldThread(syscall: "257 0xffffffffffffff9c 0x7ffd5a3c 0x1 0x0 0x0 0x0 0x7ffd5a00 0x7f1234567890\n")
        let read = ProcReader(root: root.path).readTask(5001, extras: [.openAccess, .mountNamespace, .root],
                                                        extrasDeadline: .now - .seconds(1))
        // The flags say whether the open is a read at all: read whatever the time.
        XCTAssertEqual(read.extras, TaskExtrasRead(openAccess: .writeOnly, cutShort: true))
        let result = read.process()
        XCTAssertEqual(result.outcome, .complete, "status, cmdline, exe and cgroup are read whatever the time")
        XCTAssertEqual(result.info?.ppid, ProcessID(4999))
        XCTAssertEqual(result.info?.credentials?.uid, 1000)
        XCTAssertEqual(result.info?.cgroup, "/kubepods.slice/cri-containerd-\(Self.containerID).scope")
        XCTAssertEqual(result.info?.exe, "/usr/bin/cat")
    }

    func testTaskGoneAfterStatusKeepsStatusAndIsPartial() throws {
        // status is read first: a task that went away right after still has its parent and uids.
        try makeProcess(5002, files: ["status": Self.threadStatus])
        let result = ProcReader(root: root.path).readTask(5002, extras: .root).process()
        XCTAssertEqual(result.outcome, .partial)
        XCTAssertEqual(result.info?.pid, ProcessID(5000))
        XCTAssertEqual(result.info?.ppid, ProcessID(4999))
        XCTAssertNil(result.info?.argv)
        XCTAssertEqual(result.info?.source, "partial")
        let missing = ProcReader(root: root.path).readTask(31337)
        XCTAssertEqual(missing.process().outcome, .vanished)
        XCTAssertEqual(missing.extras, TaskExtrasRead())
    }

    func testSnapshotListsNumericEntriesOnly() throws {
        try makeProcess(7, files: ["cmdline": ""])
        try makeProcess(12, files: ["cmdline": ""])
        try FileManager.default.createDirectory(at: root.appendingPathComponent("self"), withIntermediateDirectories: true)
        try Data().write(to: root.appendingPathComponent("uptime"))
        XCTAssertEqual(ProcSnapshot.listPIDs(root: root.path), [7, 12])
    }
    /// A pipeline's members for the connect re-reads: children of the connector and of its parent
    /// (every thread's children file), those in the connector's process group only, the connector
    /// itself never, each once; a pid whose stat is gone or garbage is left out.
    func testProcessGroupMembersAreChildrenAndSiblingsInTheGroup() throws {
        func stat(_ pid: Int32, ppid: Int32, pgrp: Int32) -> String {
            "\(pid) (sh) S \(ppid) \(pgrp) \(pgrp) 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0\n"
        }
        // 50 (the shell) ran 100 (nc, the connector), 103 and 104 in group 100; 105 is in another group.
        try makeProcess(50, files: ["stat": stat(50, ppid: 1, pgrp: 50), "task/50/children": "100 103 105",
                                    "task/51/children": "104 100\n"])
        try makeProcess(100, files: ["stat": stat(100, ppid: 50, pgrp: 100), "task/100/children": "101 102 "])
        try makeProcess(101, files: ["stat": stat(101, ppid: 100, pgrp: 100)])
        try makeProcess(102, files: ["stat": "garbage"])
        try makeProcess(103, files: ["stat": stat(103, ppid: 50, pgrp: 100)])
        try makeProcess(104, files: ["stat": stat(104, ppid: 50, pgrp: 100)])
        try makeProcess(105, files: ["stat": stat(105, ppid: 50, pgrp: 105)])
        let reader = ProcReader(root: root.path)
        XCTAssertEqual(Set(reader.processGroupMembers(of: 100)), [101, 103, 104])
        XCTAssertEqual(reader.processGroupMembers(of: 999), [], "a gone connector has no members")
    }
}

