// SPDX-License-Identifier: Apache-2.0
// The token watcher's pure parts: /proc parsers (cmdline, status, cgroup, syscall → open access),
// the container-path rule, table merging, and the watchdog's answer bookkeeping (live, root).

import Foundation
import Glibc
import RuntimeWatchCore
import XCTest
@testable import RuntimeWatchLive
@testable import RuntimeWatchSystem

final class TokenWatchUnitTests: XCTestCase {
    func testArgvFromCmdline() {
        XCTAssertEqual(OpenerProcParsing.argv(fromCmdline: Array("cat\0/tok en\0".utf8)), ["cat", "/tok en"])
        XCTAssertEqual(OpenerProcParsing.argv(fromCmdline: Array("a\0\0b\0".utf8)), ["a", "", "b"])
        XCTAssertEqual(OpenerProcParsing.argv(fromCmdline: []), [])
        // Cut at the byte limit: the last argument is kept as read.
        XCTAssertEqual(OpenerProcParsing.argv(fromCmdline: Array("python3\0-c\0open(".utf8)), ["python3", "-c", "open("])
    }

    func testStatusFields() {
        let status = """
        Name:\tcat
        Umask:\t0022
        State:\tS (sleeping)
        Tgid:\t4242
        Ngid:\t0
        Pid:\t4243
        PPid:\t100
        Uid:\t1000\t1001\t1000\t1000
        Gid:\t2000\t2001\t2000\t2000
        CapEff:\t000001ffffffffff

        """
        let parsed = OpenerProcParsing.status(Array(status.utf8))
        XCTAssertEqual(parsed.name, "cat")
        XCTAssertEqual(parsed.tgid, 4242)
        XCTAssertEqual(parsed.ppid, 100)
        XCTAssertEqual(parsed.credentials, Credentials(uid: 1000, euid: 1001, gid: 2000, egid: 2001, capEff: 0x1ff_ffff_ffff))
    }

    func testMalformedStatusLeavesFieldsNil() {
        let parsed = OpenerProcParsing.status(Array("Tgid:\tabc\nPPid\nUid:\t1\n\u{0}\u{ff}".utf8))
        XCTAssertNil(parsed.tgid)
        XCTAssertNil(parsed.ppid)
        XCTAssertNil(parsed.credentials, "one uid and no gid is not a credential set")
    }

    func testCgroupPrefersTheContainerPath() {
        let id = String(repeating: "ab", count: 32)
        let v1 = "12:memory:/kubepods/burstable/pod0b7e4f6c-1d2a-4c3b-9e8f-a1b2c3d4e5f6/\(id)\n1:cpu:/\n0::/\n"
        XCTAssertEqual(OpenerProcParsing.cgroup(Array(v1.utf8)), "/kubepods/burstable/pod0b7e4f6c-1d2a-4c3b-9e8f-a1b2c3d4e5f6/\(id)")
        XCTAssertEqual(OpenerProcParsing.cgroup(Array("1:cpu:/a\n0::/user.slice/session-1.scope\n".utf8)), "/user.slice/session-1.scope")
        XCTAssertEqual(OpenerProcParsing.cgroup(Array("garbage\n".utf8)), "/")
        // A path containing ':' stays whole.
        XCTAssertEqual(OpenerProcParsing.cgroup(Array("0::/system.slice/x:y.scope\n".utf8)), "/system.slice/x:y.scope")
    }

    func testSyscallLineDecodesOpenFlags() throws {
        // openat(AT_FDCWD, path, O_RDONLY|O_CLOEXEC) as /proc/<tid>/syscall shows it.
        let line = "257 0xffffffffffffff9c 0x7ffd5a3c 0x80000 0x0 0x0 0x0 0x7ffd5a00 0x7f1234567890\n"
        let call = try XCTUnwrap(OpenerProcParsing.syscall(Array(line.utf8)))
        XCTAssertEqual(call.number, 257)
        XCTAssertEqual(call.arguments[2], 0x80000)
        XCTAssertNil(OpenerProcParsing.syscall(Array("running\n".utf8)))
        XCTAssertNil(OpenerProcParsing.syscall(Array("-1 0x7ffd 0x7f12\n".utf8)), "blocked outside a syscall")
        XCTAssertNil(OpenerProcParsing.syscall(Array("257 0xzz 0x0 0x0 0x0 0x0 0x0 0x0 0x0".utf8)))
        XCTAssertEqual(OpenerProcParsing.access(openFlags: 0x80000), .readOnly)
        XCTAssertEqual(OpenerProcParsing.access(openFlags: 0x441), .writeOnly)   // O_WRONLY|O_CREAT|O_APPEND
        XCTAssertEqual(OpenerProcParsing.access(openFlags: 0x2), .readWrite)
        XCTAssertTrue(TokenOpenAccess.writeOnly.isWriteOnly)
        XCTAssertFalse(TokenOpenAccess.readWrite.isWriteOnly, "O_RDWR can read the token: it is a read")
        #if arch(x86_64)
        XCTAssertEqual(OpenerProcParsing.flagsSource(syscallNumber: 257), .argument(2))
        XCTAssertEqual(OpenerProcParsing.flagsSource(syscallNumber: 2), .argument(1))
        XCTAssertEqual(OpenerProcParsing.flagsSource(syscallNumber: 437), .openHowPointer(2))
        XCTAssertEqual(OpenerProcParsing.flagsSource(syscallNumber: 85), .creat)
        XCTAssertNil(OpenerProcParsing.flagsSource(syscallNumber: 0))
        #endif
    }

    func testTableMergeKeepsHostPathAndContainerPath() {
        let kubelet = WatchedToken(path: "/var/lib/kubelet/pods/u/volumes/kubernetes.io~projected/v/token", podUID: "u", volume: "v")
        let container = WatchedToken(path: "/proc/9/root/var/run/secrets/kubernetes.io/serviceaccount/token",
                                     containerPath: "/var/run/secrets/kubernetes.io/serviceaccount/token")
        for merged in [TokenRescanner.merge(kubelet, container), TokenRescanner.merge(container, kubelet)] {
            XCTAssertEqual(merged.path, kubelet.path)
            XCTAssertEqual(merged.containerPath, container.containerPath)
            XCTAssertEqual(merged.podUID, "u")
        }
    }

    func testKubeletLocationsAreEnumerated() throws {
        let dir = try TemporaryDirectory(prefix: "rw-tokenlocations")
        defer { dir.remove() }
        let root = dir.path + "/kubelet"
        for (pod, plugin, volume) in [("p1", "kubernetes.io~projected", "kube-api-access-a"), ("p1", "kubernetes.io~secret", "legacy"),
                                      ("p2", "kubernetes.io~projected", "kube-api-access-b"), ("p2", "kubernetes.io~configmap", "cm")] {
            try FileManager.default.createDirectory(atPath: "\(root)/pods/\(pod)/volumes/\(plugin)/\(volume)", withIntermediateDirectories: true)
        }
        let locations = TokenLocations(kubeletRoot: root, tokenFileNames: ["token"], hostTokenPaths: ["/h/token"],
                                       containerTokenPaths: ["/c/token"], maxPods: 10, maxVolumesPerPod: 10)
        let (candidates, truncated) = locations.candidates(containerRoots: [ProcessID(77)])
        XCTAssertFalse(truncated)
        XCTAssertEqual(Set(candidates.map(\.path)), [
            "\(root)/pods/p1/volumes/kubernetes.io~projected/kube-api-access-a/token",
            "\(root)/pods/p1/volumes/kubernetes.io~secret/legacy/token",
            "\(root)/pods/p2/volumes/kubernetes.io~projected/kube-api-access-b/token",
            "/h/token", "/c/token",
        ])
        XCTAssertEqual(candidates.first { $0.path == "/c/token" }?.root, "/proc/77/root")
        XCTAssertEqual(candidates.first { $0.path == "/c/token" }?.watched.path, "/proc/77/root/c/token")
        let capped = TokenLocations(kubeletRoot: root, tokenFileNames: ["token"], hostTokenPaths: [], containerTokenPaths: [],
                                    maxPods: 1, maxVolumesPerPod: 10)
        XCTAssertTrue(capped.candidates(containerRoots: []).truncated)
    }

    func testWatchdogAnswersAnEventTheEventThreadNeverReached() throws {
        try requireRoot()
        let dir = try TemporaryDirectory(prefix: "rw-watchdog")
        defer { dir.remove() }
        let file = dir.path + "/token"
        try Data("t".utf8).write(to: URL(fileURLWithPath: file))
        let group = try FanotifyGroup(class: .content)
        defer { try? group.close() }
        try group.mark(path: file, mask: .openPermission)
        let cat = Process()
        cat.executableURL = URL(fileURLWithPath: "/usr/bin/cat")
        cat.arguments = [file]
        cat.standardOutput = FileHandle.nullDevice
        try cat.run()
        var events: [FanotifyEvent] = []
        let deadline = Date().addingTimeInterval(5)
        while events.isEmpty, Date() < deadline {
            events = try group.readEvents()?.events ?? []
            if events.isEmpty { usleep(1_000) }
        }
        let event = try XCTUnwrap(events.first)
        let fd = try XCTUnwrap(event.fileDescriptor)
        let pending = PendingAnswers()
        pending.register([fd.rawValue], readAt: 1_000)
        XCTAssertEqual(pending.answerOverdue(now: 1_500, deadline: 1_000, group: group).answered, 0, "not overdue yet")
        XCTAssertEqual(pending.answerOverdue(now: 3_000, deadline: 1_000, group: group).answered, 1)
        XCTAssertFalse(pending.claim(fd.rawValue), "the event thread must not answer twice")
        cat.waitUntilExit()
        XCTAssertEqual(cat.terminationStatus, 0, "the watchdog's allow released the opener")
        event.close()
    }
}
