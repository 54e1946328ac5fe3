// SPDX-License-Identifier: Apache-2.0
// Floods of distinct alerts from one rule and one identity, as AlertFlood documents it: the first
// `flood_burst` (default 20) targets of a window alert on their own; the rest become ONE summary alert
// when the identity's window closes, whose `count` keeps every detection it stands for.

import XCTest
@testable import RuntimeWatchCore

final class EngineFloodTests: XCTestCase {
    /// A container connecting to `ports` distinct ports, 10 ms apart from t = 1 s (a port scan).
    private func scan(_ ports: Range<UInt16>, from start: Double = 1, pid: Int32 = 130) -> [EventRecord] {
        ports.enumerated().map { i, port in Fixture.connect(start + Double(i) * 0.01, pid: pid, port: port) }
    }

    private func run(_ records: [EventRecord], profile: Profile = Profile()) -> (Engine, [Alert]) {
        var (engine, sink) = Fixture.engine(profile: profile)
        for r in Fixture.processTree(inContainer: true) + records { engine.process(r) }
        engine.finish()
        return (engine, sink.detections)
    }

    func testAScanOfDistinctTargetsIsTwentyAlertsAndOneSummaryThatKeepsEveryCount() {
        let (engine, alerts) = run(scan(5000..<5100))
        XCTAssertEqual(alerts.count, 21)
        XCTAssertEqual(alerts.prefix(20).map(\.count), Array(repeating: 1, count: 20))
        XCTAssertEqual(alerts.prefix(20).map { $0.fields["fd.rport"] }, (5000..<5020).map { .int(Int64($0)) })
        let summary = alerts[20]
        XCTAssertEqual(summary.count, 80, "the summary stands for the 80 it held back")
        XCTAssertEqual(summary.fields["rw.summary.distinct_targets"], .int(80))
        XCTAssertEqual(summary.fields["rw.summary.targets"], .list((5020..<5030).map { "198.51.100.7:\($0)" }), "the first 10 held back")
        XCTAssertEqual(summary.fields["fd.rport"], .int(5099), "the summary is the latest alert it held")
        XCTAssertTrue(summary.output.hasPrefix("Summary: 80 more "), summary.output)
        XCTAssertTrue(summary.output.contains(" from container "), summary.output)
        XCTAssertEqual(engine.stats.alertsByRule["unexpected-outbound-connection"], 100, "every detection counted")
    }

    func testTheSummaryIsEmittedWhenTheWindowClosesAndANewWindowHasItsOwnBurst() {
        // Window of the first alert: [1 s, 61 s). 30 targets, then 30 more from t = 70 s.
        // (The engine holds an egress alert 3 s for a shell alert that may take it in: the ticks let them out.)
        func tick(_ seconds: Double) -> EventRecord { Fixture.record(seconds, .fork(ForkEvent(parent: ProcessID(1), child: ProcessID(Int32(seconds) + 500)))) }
        var (engine, sink) = Fixture.engine()
        for r in Fixture.processTree(inContainer: true) + scan(6000..<6030) + [tick(30)] { engine.process(r) }
        XCTAssertEqual(sink.detections.count, 20, "the summary waits for the window's end")
        engine.process(tick(61))
        XCTAssertEqual(sink.detections.count, 21, "the first event at the window's end closes it")
        XCTAssertEqual(sink.detections.last?.count, 10)
        for r in scan(7000..<7030, from: 70) + [tick(80)] { engine.process(r) }
        XCTAssertEqual(sink.detections.count, 41, "a new window: 20 alerts on their own again")
        engine.finish()
        let all = sink.detections
        XCTAssertEqual(all.count, 42)
        XCTAssertEqual(all.map(\.count).reduce(0, +), 60)
    }

    func testRepeatsOfAHeldBackTargetAddToTheSummary() {
        let ports = Array(scan(5000..<5025)) + scan(5024..<5025, from: 2) + scan(5024..<5025, from: 3)
        let (_, alerts) = run(ports)
        XCTAssertEqual(alerts.count, 21)
        XCTAssertEqual(alerts[20].count, 7, "5 held-back targets, one of them 3 times")
        XCTAssertEqual(alerts[20].fields["rw.summary.distinct_targets"], .int(5))
    }

    /// Identity is the user for k8s_audit alerts, the container for others, the executable on the host.
    func testEachIdentityHasItsOwnBurst() {
        func alert(_ i: Int, source: AlertSource, _ fields: AlertFields) -> Alert {
            var f = fields
            f["fd.name"] = .string("/target/\(fields.values.map(\.description).sorted())/\(i)")
            return Alert(timestamp: Fixture.at(1 + Double(i) * 0.001), ruleID: "r", ruleName: "R", priority: .warning, source: source,
                         hostname: "h", output: "o", tags: [], fields: f, advice: "")
        }
        let identities: [(AlertSource, AlertFields)] = [
            (.syscall, ["container.id": "aaa", "proc.exepath": "/bin/x"]),
            (.syscall, ["container.id": "bbb", "proc.exepath": "/bin/x"]),
            (.syscall, ["container.id": "host", "proc.exepath": "/bin/x"]),
            (.syscall, ["container.id": "host", "proc.exepath": "/bin/y"]),
            (.k8sAudit, ["ka.user.name": "alice"]),
            (.k8sAudit, ["ka.user.name": "bob"]),
        ]
        var folder = AlertFolder(windowNanoseconds: 60_000_000_000, capacity: 100, floodBurst: 3)
        var out: [Alert] = []
        for i in 0..<10 { for (source, fields) in identities { out += folder.offer(alert(i, source: source, fields)) } }
        out += folder.flushAll()
        XCTAssertEqual(out.count, identities.count * 4, "3 alerts and a summary each")
        XCTAssertEqual(out.map(\.count).reduce(0, +), identities.count * 10)
        XCTAssertEqual(out.filter { $0.count == 7 }.map { $0.output.components(separatedBy: " after ")[0] }.sorted(), [
            "Summary: 7 more R alerts from container aaa", "Summary: 7 more R alerts from container bbb",
            "Summary: 7 more R alerts from host process /bin/x", "Summary: 7 more R alerts from host process /bin/y",
            "Summary: 7 more R alerts from user alice", "Summary: 7 more R alerts from user bob"])
    }

    func testFloodBurstZeroInTheProfileSummarisesNothing() throws {
        let profile = try ProfileLoader().parse("version: 1\nsettings:\n  flood_burst: 0\n", file: "p.yaml")
        let (_, alerts) = run(scan(5000..<5100), profile: profile)
        XCTAssertEqual(alerts.count, 100)
    }

    func testAMalformedFloodBurstIsRefusedWithItsPlace() {
        for bad in ["-1", "2.5", "abc"] {
            assertProfileError("version: 1\nsettings:\n  flood_burst: \(bad)\n", line: 3, column: 16, contains: "'flood_burst' must be")
        }
    }
}
