// SPDX-License-Identifier: Apache-2.0
// Issue 19 item 2: every string and list an event brings in is cut to `EventBounds` where events
// enter (the drive loop, before the recorder and the engine), and the cut is marked in the event,
// the record, the recorded trace and the alert. The table row: replay of 5,000 execs with 900 KB of
// argv each reached 4.46 GB; here the state's byte counters are asserted, not RSS.

import Foundation
import XCTest
@testable import RuntimeWatchCore

private typealias ProcessInfo = RuntimeWatchCore.ProcessInfo

final class EventBoundsTests: TemporaryDirectoryTestCase {
    private let big = String(repeating: "a", count: 900_000)

    func testEventsWithinTheirBoundsAreUnchanged() {
        for record in EventSamples.records {
            XCTAssertEqual(record.bounded(), record, record.event.kind)
        }
    }

    func testEveryStringAndListIsCutAndMarked() throws {
        let pid = ProcessID(7)
        func payload(_ event: Event) -> Event { EventRecord(timestamp: 1, event: event).bounded().event }

        guard case .comm(let comm) = payload(.comm(CommEvent(pid: pid, comm: big))) else { return XCTFail("comm") }
        XCTAssertEqual(comm.comm.utf8.count, EventBounds.commBytes)
        XCTAssertEqual(comm.truncated, ["comm"])

        let many = (0..<100).map { DescriptorInfo(fd: Int32($0), kind: .file, target: "/f\($0)") }
        guard case .descriptors(let fds) = payload(.descriptors(DescriptorsEvent(pid: pid, fds: many))) else { return XCTFail("fds") }
        XCTAssertEqual(fds.fds.count, EventBounds.descriptorCount)
        XCTAssertEqual(fds.truncated, ["fds"])
        let socket = DescriptorInfo(fd: 0, kind: .socket, target: "socket:[1]",
                                    socket: .init(family: "inet", proto: "tcp", remoteAddress: big, remotePort: 1))
        guard case .descriptors(let one) = payload(.descriptors(DescriptorsEvent(pid: pid, fds: [socket]))) else { return XCTFail("fds") }
        XCTAssertEqual(one.fds.first?.socket?.remoteAddress?.utf8.count, EventBounds.addressBytes)
        XCTAssertEqual(one.truncated, ["fds"])

        let container = ContainerInfo(id: ContainerID(big), runtime: "containerd", podName: big, image: big,
                                      entrypoint: Array(repeating: "x", count: 5000), resolvers: Array(repeating: "10.0.0.1", count: 500))
        guard case .container(let c) = payload(.container(container)) else { return XCTFail("container") }
        XCTAssertEqual(c.id.rawValue.utf8.count, EventBounds.nameBytes)
        XCTAssertEqual(c.podName?.utf8.count, EventBounds.nameBytes)
        XCTAssertEqual(c.image?.utf8.count, EventBounds.pathBytes)
        XCTAssertEqual(c.entrypoint?.count, EventBounds.argvCount)
        XCTAssertEqual(c.resolvers?.count, EventBounds.resolverCount)
        XCTAssertEqual(c.truncated, ["id", "podName", "image", "entrypoint", "resolvers"])
        XCTAssertEqual(c.runtime, "containerd")

        let opener = ProcessInfo(pid: pid, comm: "cat", argv: ["cat", big])
        guard case .fileOpen(let open) = payload(.fileOpen(FileOpenEvent(pid: pid, path: big, containerPath: "/t", process: opener)))
        else { return XCTFail("open") }
        XCTAssertEqual(open.path.utf8.count, EventBounds.pathBytes)
        XCTAssertEqual(open.containerPath, "/t")
        XCTAssertEqual(open.truncated, ["path"])
        XCTAssertEqual(open.process?.truncated, ["argv"])

        guard case .connect(let connect) = payload(.connect(ConnectEvent(pid: pid, proto: "tcp", localAddress: big,
                                                                           remoteAddress: "198.51.100.7", remotePort: 443)))
        else { return XCTFail("connect") }
        XCTAssertEqual(connect.localAddress?.utf8.count, EventBounds.addressBytes)
        XCTAssertEqual(connect.remoteAddress, "198.51.100.7")
        XCTAssertEqual(connect.truncated, ["localAddress"])
    }

    /// `ProcessInfo.bounded()` skips its walk when the image says it is within bounds: at each
    /// field's bound and one byte (or element) past it, alone and after a change of the field,
    /// that answer agrees with what the walk cuts.
    func testWithinBoundsAnswersAsTheCutAtEveryEdge() {
        func text(_ n: Int) -> String { String(repeating: "x", count: n) }
        func descriptor(target: Int = 4, family: Int = 4, state: Int = 4, local: Int = 4, remote: Int = 4) -> DescriptorInfo {
            DescriptorInfo(fd: 0, kind: .socket, target: text(target),
                           socket: .init(family: text(family), proto: "tcp", localAddress: text(local),
                                         remoteAddress: text(remote), state: text(state)))
        }
        let one = ProcessID(1)
        var cases: [(String, ProcessInfo)] = []
        for over in [0, 1] {
            let tag = over == 0 ? "at the bound" : "past the bound"
            cases.append(("comm \(tag)", ProcessInfo(pid: one, comm: text(EventBounds.commBytes + over))))
            cases.append(("exe \(tag)", ProcessInfo(pid: one, exe: text(EventBounds.pathBytes + over))))
            cases.append(("cwd \(tag)", ProcessInfo(pid: one, cwd: text(EventBounds.pathBytes + over))))
            cases.append(("cgroup \(tag)", ProcessInfo(pid: one, cgroup: text(EventBounds.pathBytes + over))))
            cases.append(("argv bytes \(tag)", ProcessInfo(pid: one, argv: [text(EventBounds.argvBytes / 2), text(EventBounds.argvBytes / 2 + over)])))
            cases.append(("argv count \(tag)", ProcessInfo(pid: one, argv: Array(repeating: "a", count: EventBounds.argvCount + over))))
            cases.append(("fds count \(tag)", ProcessInfo(pid: one, fds: Array(repeating: descriptor(), count: EventBounds.descriptorCount + over))))
            cases.append(("fd target \(tag)", ProcessInfo(pid: one, fds: [descriptor(target: EventBounds.pathBytes + over)])))
            cases.append(("fd family \(tag)", ProcessInfo(pid: one, fds: [descriptor(family: EventBounds.nameBytes + over)])))
            cases.append(("fd state \(tag)", ProcessInfo(pid: one, fds: [descriptor(state: EventBounds.nameBytes + over)])))
            cases.append(("fd local \(tag)", ProcessInfo(pid: one, fds: [descriptor(local: EventBounds.addressBytes + over)])))
            cases.append(("fd remote \(tag)", ProcessInfo(pid: one, fds: [descriptor(remote: EventBounds.addressBytes + over)])))
            // Changed after it was made: the answer follows the field.
            var changed = ProcessInfo(pid: one, comm: "sh", exe: "/bin/sh", argv: ["sh"])
            changed.exe = text(EventBounds.pathBytes + over)
            cases.append(("exe changed \(tag)", changed))
        }
        var shrunk = ProcessInfo(pid: one, argv: [text(EventBounds.argvBytes + 1)])
        shrunk.argv = ["sh"]
        cases.append(("argv changed back within", shrunk))
        for (name, info) in cases {
            let bounded = info.bounded()
            let expectWithin = name.contains("at the bound") || name.contains("within")
            XCTAssertEqual(info.isWithinBounds, expectWithin, name)
            XCTAssertEqual(bounded == info, expectWithin, name)
            XCTAssertEqual(bounded.truncated == nil, expectWithin, name)
            XCTAssertTrue(bounded.isWithinBounds, "\(name): what bounded() returns is within bounds")
        }
    }

    func testACutKeepsUnicodeScalarsWhole() {
        // 2-byte é and 4-byte 🚀: an odd bound falls inside a scalar and the cut steps back before it.
        let cut = Truncation.prefix(String(repeating: "é", count: 100), bytes: 9)
        XCTAssertEqual(cut, "éééé")
        XCTAssertEqual(Truncation.prefix("a🚀b", bytes: 4), "a")
        XCTAssertEqual(Truncation.prefix("a🚀b", bytes: 5), "a🚀")
        XCTAssertEqual(Truncation.prefix("short", bytes: 64), "short")
    }

    func testTheStateRecordsWhatTheCommAndDescriptorEventsCut() {
        var state = SystemState()
        state.apply(Fixture.record(0, .exec(ProcessInfo(pid: ProcessID(10), ppid: ProcessID(1), comm: "sh", exe: "/bin/sh", cgroup: "/"))))
        state.apply(Fixture.record(1, .comm(CommEvent(pid: ProcessID(10), comm: big))).bounded())
        XCTAssertEqual(state.process(ProcessID(10))?.info.comm?.utf8.count, EventBounds.commBytes)
        XCTAssertEqual(state.process(ProcessID(10))?.info.truncated, ["comm"])
        // A later name within the bound replaces the cut one, and its mark.
        state.apply(Fixture.record(2, .comm(CommEvent(pid: ProcessID(10), comm: "worker"))).bounded())
        XCTAssertNil(state.process(ProcessID(10))?.info.truncated)
        let fds = (0..<50).map { DescriptorInfo(fd: Int32($0), kind: .file, target: big) }
        state.apply(Fixture.record(3, .descriptors(DescriptorsEvent(pid: ProcessID(10), fds: fds))).bounded())
        XCTAssertEqual(state.process(ProcessID(10))?.info.fds?.count, EventBounds.descriptorCount)
        XCTAssertEqual(state.process(ProcessID(10))?.info.truncated, ["fds"])
    }

    /// The table row, through the path `replay` takes: a trace of execs with 900 KB argv is read by
    /// TraceReader (lines up to its 1 MiB limit), bounded in the drive loop, recorded and judged.
    func testReplayOfHugeArgvTraceIsBoundedRecordedCutAndAlertedAsCut() async throws {
        let source = path("huge-argv.jsonl")
        let header = TraceHeader(hostname: "node-1", kernel: "6.1", start: Fixture.t0)
        let writer = try TraceWriter(path: source, header: header)
        var records = Fixture.processTree(inContainer: true)
        // The token reader (nc, pid 130) execs with a huge argv: its alert must say argv was cut.
        records.append(Fixture.record(0.45, .exec(ProcessInfo(pid: ProcessID(130), ppid: ProcessID(100), comm: "nc", exe: "/usr/bin/nc.openbsd",
                                                              argv: ["nc", big], cwd: "/tmp", cgroup: Fixture.cgroup))))
        for i in 0..<20 {
            let pid = ProcessID(Int32(1000 + i))
            records.append(Fixture.record(0.5 + Double(i) / 1000, .exec(ProcessInfo(pid: pid, ppid: ProcessID(100), exe: "/bin/x",
                                                                                    argv: ["x", big], cgroup: Fixture.cgroup))))
        }
        // Container metadata with an image reference past its bound, and a token open whose host
        // path is past its bound: the alert says both were cut.
        var container = Fixture.container
        container.image = "registry.example.com/" + big
        records.append(Fixture.record(0.6, .container(container)))
        let token = "/var/run/secrets/kubernetes.io/serviceaccount/token"
        records.append(Fixture.record(1, .fileOpen(FileOpenEvent(pid: ProcessID(130), path: "/var/lib/kubelet/pods/" + big,
                                                                 containerPath: token))))
        for r in records { try writer.write(r) }
        try writer.close()

        let recorded = path("recorded.jsonl")
        let recorder = try TraceWriter(path: recorded, header: header)
        let sink = InMemoryAlertSink()
        let engine = Engine(configuration: EngineConfiguration(hostname: "node-1"), detectors: BuiltinDetectors.make(),
                            profile: try ProfileLoader().embeddedDefault(), sink: sink)
        let issues = IssueLog()
        let reader = try TraceReader(path: source, onIssue: issues.record)
        _ = try reader.readHeader()
        var loop = DriveLoop(engine: engine, recorder: recorder)
        try await loop.run(TraceSource(reader: reader))
        try recorder.close()
        XCTAssertTrue(issues.issues.isEmpty, "\(issues.issues)")

        let state = try XCTUnwrap(loop.engine?.state)
        for pid in [130] + (1000..<1020) {
            let info = try XCTUnwrap(state.process(ProcessID(Int32(pid)))?.info)
            XCTAssertEqual(info.argv?.reduce(0) { $0 + $1.utf8.count }, EventBounds.argvBytes, "pid \(pid)")
            XCTAssertEqual(info.truncated, ["argv"], "pid \(pid)")
        }
        XCTAssertLessThan(state.processes.bytes, 21 * (EventBounds.argvBytes + 2 * ProcessTable.recordOverheadBytes) + (64 << 10))

        let alert = try XCTUnwrap(sink.alerts.first { $0.ruleID == "service-account-token-read" }, "\(sink.alerts.map(\.ruleID))")
        XCTAssertEqual(alert.fields["proc.truncated"], .list(["argv"]))
        XCTAssertEqual(alert.fields["container.truncated"], .list(["image"]))
        XCTAssertEqual(alert.fields["fd.truncated"], .list(["path"]))
        XCTAssertEqual(alert.fields["fd.name"], .string(token))
        guard case .string(let cmdline)? = alert.fields["proc.cmdline"] else { return XCTFail("no proc.cmdline") }
        XCTAssertLessThanOrEqual(cmdline.utf8.count, EventBounds.argvBytes + 16)

        // The recorded trace holds what the engine judged: cut, marked, and replayable as is.
        let lines = try String(contentsOfFile: recorded, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, records.count + 1)
        XCTAssertLessThan(lines.map(\.utf8.count).max() ?? .max, 20_000)
        XCTAssertEqual(lines.filter { $0.contains(#""truncated":["argv"]"#) }.count, 21)
        XCTAssertEqual(lines.filter { $0.contains(#""truncated":["image"]"#) || $0.contains(#""truncated":["path"]"#) }.count, 2)
    }

    /// 2,000 execs with 900 KB argv each (the string is shared, so the test itself stays small):
    /// each record is cut to 16 KiB, the table stays within its byte budget, and it keeps far more
    /// records than uncut 900 KB argv would allow (24 MiB / 900 KB = 27).
    func testTwoThousandHugeExecsKeepTheTableWithinItsByteBudget() async throws {
        var records: [EventRecord] = []
        for i in 0..<2000 {
            let pid = ProcessID(Int32(10_000 + i))
            records.append(Fixture.record(Double(i) / 1000, .exec(ProcessInfo(pid: pid, ppid: ProcessID(1), exe: "/bin/x",
                                                                              argv: ["x", big], cgroup: "/"))))
            if i % 2 == 0 { records.append(Fixture.record(Double(i) / 1000 + 0.0001, .exit(ExitEvent(pid: pid, code: 0)))) }
        }
        let engine = Engine(configuration: EngineConfiguration(hostname: "node-1"), detectors: [], sink: InMemoryAlertSink())
        var loop = DriveLoop(engine: engine)
        try await loop.run(TraceSource(records: records))
        let table = try XCTUnwrap(loop.engine?.state.processes)
        XCTAssertLessThanOrEqual(table.bytes, table.byteBudget)
        XCTAssertGreaterThan(table.count, 1000)
        XCTAssertTrue(table.all.allSatisfy { $0.info.truncated == ["argv"] })
        XCTAssertNotNil(table[ProcessID(11_999)], "the newest live process is kept")
    }

    /// 300,000 short-lived execs with 1 KB argv (the other table row, 208 MB of RSS before the byte
    /// budget): the default table's byte counter stays within its budget and matches its records.
    func testThreeHundredThousandShortLivedExecsStayWithinTheDefaultByteBudget() {
        var state = SystemState()
        let argv = ["x", String(repeating: "b", count: 1000)]
        var t: UInt64 = 1
        for i in 0..<300_000 {
            let pid = ProcessID(Int32(100 + i))
            state.apply(EventRecord(timestamp: t, event: .exec(ProcessInfo(pid: pid, ppid: ProcessID(1), exe: "/bin/x", argv: argv, cgroup: "/"))))
            state.apply(EventRecord(timestamp: t + 1, event: .exit(ExitEvent(pid: pid, code: 0))))
            t += 2
        }
        XCTAssertLessThanOrEqual(state.processes.bytes, state.processes.byteBudget)
        XCTAssertGreaterThan(state.processes.evictions, 0)
        let recount = state.processes.all.reduce(0) { $0 + ProcessTable.recordOverheadBytes + $1.info.stringBytes }
        XCTAssertEqual(state.processes.bytes, recount)
    }

    func testTheContainerDirectoryStaysWithinItsByteBudget() {
        var directory = ContainerDirectory(capacity: 4096, byteBudget: 1 << 20)
        for i in 0..<2000 {
            let id = ContainerID(String(format: "%064x", i))
            directory.record(ContainerInfo(id: id, runtime: "containerd", image: String(repeating: "i", count: EventBounds.pathBytes),
                                           bundle: String(repeating: "b", count: EventBounds.pathBytes)))
        }
        XCTAssertLessThanOrEqual(directory.bytes, directory.byteBudget)
        XCTAssertGreaterThan(directory.evictions, 0)
        XCTAssertNotNil(directory[ContainerID(String(format: "%064x", 1999))], "the newest entry is kept")
        let recount = directory.byID.values.reduce(0) { $0 + ContainerDirectory.entryOverheadBytes + $1.stringBytes }
        XCTAssertEqual(directory.bytes, recount)
    }
}
