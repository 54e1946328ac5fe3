// SPDX-License-Identifier: Apache-2.0
// Which execs get the full /proc read (stat, status, cwd, descriptors) and which the brief one
// (cmdline, exe, cgroup): everything in a container, shells, interpreters and network tools, and
// the commands of a shell wired to a socket or pipe, read fully; other host programs briefly.

import RuntimeWatchCore
@testable import RuntimeWatchCapture
import XCTest

final class ReadDepthPolicyTests: XCTestCase {
    static let container = "/kubepods/besteffort/pod0b6f/" + String(repeating: "ab12", count: 16)

    private func info(_ exe: String, argv: [String]? = nil, cgroup: String = "/user.slice", fds: [DescriptorInfo]? = nil,
                      source: String = "proc") -> RuntimeWatchCore.ProcessInfo {
        var i = RuntimeWatchCore.ProcessInfo(pid: ProcessID(10), exe: exe, argv: argv ?? [exe], cgroup: cgroup, fds: fds)
        i.source = source
        return i
    }

    private func streams(_ kind: DescriptorInfo.Kind) -> [DescriptorInfo] {
        (0...2).map { DescriptorInfo(fd: $0, kind: kind, target: kind == .socket ? "socket:[7]" : kind == .pipe ? "pipe:[7]" : "/dev/pts/0", inode: 7) }
    }

    /// The capture loop's one-entry memo answers as the parser does, whatever the order of cgroups
    /// (the same one again, another, none, back).
    func testContainerCgroupMemoAnswersAsTheParser() {
        let memo = ContainerCgroups()
        let sequence: [String?] = ["/user.slice", "/user.slice", Self.container, Self.container, nil, "/user.slice", Self.container,
                                   "/", "/docker/" + String(repeating: "cd34", count: 16), "/system.slice/cron.service"]
        for cgroup in sequence {
            XCTAssertEqual(memo.contains(cgroup), cgroup.map { CgroupParser.parse($0) != nil } ?? false, "\(cgroup ?? "nil")")
        }
        XCTAssertTrue(memo.contains(Self.container))
        XCTAssertFalse(memo.contains("/user.slice"))
    }

    func testHostProgramsOfNoInterestAreReadBriefly() {
        for exe in ["/usr/bin/true", "/usr/bin/gcc", "/usr/bin/cat", "/usr/bin/make"] {
            XCTAssertEqual(ReadDepthPolicy.depth(first: info(exe), parentWantsFull: false), .brief, exe)
        }
    }

    func testShellsInterpretersAndNetworkToolsAreReadFully() {
        for exe in ["/bin/sh", "/usr/bin/bash", "/usr/bin/python3.11", "/usr/bin/perl", "/usr/bin/nc.openbsd", "/usr/bin/socat", "/usr/bin/awk"] {
            XCTAssertEqual(ReadDepthPolicy.depth(first: info(exe), parentWantsFull: false), .full, exe)
        }
        // busybox names its applet in argv[0].
        XCTAssertEqual(ReadDepthPolicy.depth(first: info("/bin/busybox", argv: ["sh", "-c", "id"]), parentWantsFull: false), .full)
        XCTAssertEqual(ReadDepthPolicy.depth(first: info("/bin/busybox", argv: ["ls"]), parentWantsFull: false), .brief)
    }

    func testEverythingInAContainerAndEveryUnknownAncestryIsReadFully() {
        XCTAssertEqual(ReadDepthPolicy.depth(first: info("/usr/bin/true", cgroup: Self.container), parentWantsFull: false), .full)
        XCTAssertEqual(ReadDepthPolicy.depth(first: info("/usr/bin/true"), parentWantsFull: nil), .full, "fork not seen")
        XCTAssertEqual(ReadDepthPolicy.depth(first: info("/usr/bin/true"), parentWantsFull: true), .full)
    }

    func testCommandsOfAShellOnASocketOrPipeAreReadFully() {
        XCTAssertTrue(ReadDepthPolicy.childrenWantFull(info("/bin/sh", fds: streams(.socket))))
        XCTAssertTrue(ReadDepthPolicy.childrenWantFull(info("/bin/sh", fds: streams(.pipe))), "nc | sh | nc")
        XCTAssertTrue(ReadDepthPolicy.childrenWantFull(info("/usr/bin/python3", fds: nil)), "descriptors unknown")
        XCTAssertFalse(ReadDepthPolicy.childrenWantFull(info("/bin/bash", fds: streams(.tty))), "an interactive shell")
        XCTAssertFalse(ReadDepthPolicy.childrenWantFull(info("/usr/bin/make", fds: streams(.pipe))), "a build's pipes")
        XCTAssertTrue(ReadDepthPolicy.childrenWantFull(info("/usr/local/bin/agent", fds: streams(.socket))), "any program on a socket")
        XCTAssertTrue(ReadDepthPolicy.childrenWantFull(info("/usr/bin/true", cgroup: Self.container, source: "brief")))
        XCTAssertFalse(ReadDepthPolicy.childrenWantFull(info("/usr/bin/true", source: "brief")))
    }
}

/// When an exec read asks cmdline again (`ReadSession.rereadArgvIfOlderThanExe`): argv[0] that names
/// the executable costs nothing; argv[0] of another program (the image before an exec that landed
/// between the two reads) is read again.
final class ArgvExeAgreementTests: XCTestCase {
    func testNamesThatAgreeNeedNoSecondRead() {
        for (exe, argv0) in [("/usr/bin/true", "/bin/true"), ("/usr/bin/nc.openbsd", "nc"), ("/usr/bin/dash", "sh"),
                             ("/usr/bin/python3.11", "python3"), ("/usr/bin/bash", "-bash"), ("/usr/bin/ncat", "ncat"),
                             ("/usr/bin/foo (deleted)", "foo"), ("/usr/bin/x", "")] {
            XCTAssertTrue(ReadSession.argv0Names(exe: exe, argv0: argv0), "\(exe) / \(argv0)")
        }
    }

    func testArgvOfAnotherProgramIsReadAgain() {
        for (exe, argv0) in [("/usr/bin/nc.openbsd", "sh"), ("/usr/bin/nc.openbsd", "/bin/sh"), ("/usr/bin/socat", "bash"),
                             ("/usr/bin/python3.11", "env"), ("/bin/busybox", "sh")] {
            XCTAssertFalse(ReadSession.argv0Names(exe: exe, argv0: argv0), "\(exe) / \(argv0)")
        }
    }
}
