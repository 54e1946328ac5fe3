// SPDX-License-Identifier: Apache-2.0
// Folding, as AlertFolder documents it: first alert at once; repeats of the same (rule, container,
// executable, target) within the window become ONE alert with count = number of repeats, emitted
// when the window closes (an event at/after its end, or finish()).

import XCTest
@testable import RuntimeWatchCore

final class EngineFoldingTests: XCTestCase {
    func run(_ records: [EventRecord], profile: Profile = Profile(), finish: Bool = true) -> (Engine, [Alert]) {
        var (engine, sink) = Fixture.engine(profile: profile)
        for r in Fixture.processTree(inContainer: true) + records { engine.process(r) }
        if finish { engine.finish() }
        return (engine, sink.detections)
    }

    func testThreeRepeatsInWindowGiveOneFoldedAlertWithCountThree() {
        let (engine, alerts) = run([Fixture.tokenOpen(1), Fixture.tokenOpen(2), Fixture.tokenOpen(3), Fixture.tokenOpen(4)])
        XCTAssertEqual(alerts.count, 2)
        XCTAssertEqual(alerts[0].count, 1)
        XCTAssertEqual(alerts[0].timestamp, Fixture.at(1))
        XCTAssertEqual(alerts[1].count, 3)
        XCTAssertEqual(alerts[1].timestamp, Fixture.at(4), "the folded alert is the latest repeat")
        XCTAssertEqual(engine.stats.alertsEmitted, 3, "two lines for the detections, one for the pod's Incident alert")
        XCTAssertEqual(engine.stats.alertsByRule["service-account-token-read"], 4, "counters count detections")
    }

    func testFoldedAlertIsEmittedWhenTheWindowClosesNotOnlyAtFinish() {
        // Window opens at t=1 and ends at t=61; the event at t=61 closes it before its own alert.
        let (_, alerts) = run([Fixture.tokenOpen(1), Fixture.tokenOpen(30), Fixture.tokenOpen(31), Fixture.tokenOpen(61)],
                              finish: false)
        XCTAssertEqual(alerts.map(\.count), [1, 2, 1])
        XCTAssertEqual(alerts.map(\.timestamp), [Fixture.at(1), Fixture.at(31), Fixture.at(61)])
    }

    func testAnAlertAfterTheWindowStartsANewOne() {
        let (_, alerts) = run([Fixture.tokenOpen(1), Fixture.tokenOpen(61), Fixture.tokenOpen(62)])
        XCTAssertEqual(alerts.map(\.count), [1, 1, 1])
        XCTAssertEqual(alerts.map(\.timestamp), [Fixture.at(1), Fixture.at(61), Fixture.at(62)])
    }

    func testSingleAlertProducesNoFoldedAlert() {
        let (_, alerts) = run([Fixture.tokenOpen(1)])
        XCTAssertEqual(alerts.count, 1)
    }

    func testDifferentTargetIsASeparateAlert() {
        let (_, alerts) = run([Fixture.connect(1, port: 4444), Fixture.connect(2, port: 4445), Fixture.connect(3, port: 4444),
                               Fixture.tokenOpen(4, path: "/a"), Fixture.tokenOpen(5, path: "/b")])
        XCTAssertEqual(alerts.count, 5)
        XCTAssertEqual(alerts.map(\.count), [1, 1, 1, 1, 1])
        // The repeat to :4444 is folded and emitted at finish.
        XCTAssertEqual(alerts[4].fields["fd.rport"], .int(4444))
        XCTAssertEqual(alerts[4].timestamp, Fixture.at(3))
    }

    func testDifferentLocalPortsStillFold() {
        // Each connect has its own ephemeral port; the target is the remote peer only.
        var (engine, sink) = Fixture.engine()
        for r in Fixture.processTree(inContainer: true) { engine.process(r) }
        for (i, lport) in [40_001, 40_002, 40_003].enumerated() {
            engine.process(Fixture.record(Double(i + 1), .connect(ConnectEvent(pid: ProcessID(130), proto: "tcp", localAddress: "10.0.0.1",
                                                                               localPort: UInt16(lport), remoteAddress: "198.51.100.7", remotePort: 80))))
        }
        engine.finish()
        XCTAssertEqual(sink.detections.map(\.count), [1, 2])
    }

    func testDifferentExecutableIsASeparateAlert() {
        let (_, alerts) = run([Fixture.tokenOpen(1, pid: 130), Fixture.tokenOpen(2, pid: 100), Fixture.tokenOpen(3, pid: 130)])
        XCTAssertEqual(alerts.map { $0.fields["proc.exepath"] }, [.string("/usr/bin/nc.openbsd"), .string("/bin/busybox"), .string("/usr/bin/nc.openbsd")])
        XCTAssertEqual(alerts.map(\.count), [1, 1, 1])
    }

    func testProfileFoldWindowAndZeroDisablesFolding() throws {
        let zero = try ProfileLoader().parse("version: 1\nsettings: {fold_window_seconds: 0}\n", file: "p.yaml")
        XCTAssertEqual(run([Fixture.tokenOpen(1), Fixture.tokenOpen(2), Fixture.tokenOpen(3)], profile: zero).1.map(\.count), [1, 1, 1])
        let short = try ProfileLoader().parse("version: 1\nsettings: {fold_window_seconds: 1.5}\n", file: "p.yaml")
        // Window [1, 2.5): the repeat at 2 folds, the alert at 3 starts anew.
        XCTAssertEqual(run([Fixture.tokenOpen(1), Fixture.tokenOpen(2), Fixture.tokenOpen(3)], profile: short).1.map(\.count), [1, 1, 1])
        let alerts = run([Fixture.tokenOpen(1), Fixture.tokenOpen(2), Fixture.tokenOpen(2.4), Fixture.tokenOpen(3)], profile: short).1
        XCTAssertEqual(alerts.map(\.count), [1, 2, 1])
        XCTAssertEqual(alerts.map(\.timestamp), [Fixture.at(1), Fixture.at(2.4), Fixture.at(3)])
    }

    func testFolderCapacityClosesTheSoonestWindow() {
        var folder = AlertFolder(windowNanoseconds: 60 * Fixture.second, capacity: 2)
        func a(_ t: Double, _ target: String) -> Alert {
            Alert(timestamp: Fixture.at(t), ruleID: "r", ruleName: "R", priority: .notice, source: .syscall, hostname: "h",
                  output: target, tags: [], fields: ["fd.name": .string(target)], advice: "")
        }
        XCTAssertEqual(folder.offer(a(1, "x")).count, 1)
        XCTAssertEqual(folder.offer(a(2, "x")).count, 0)
        XCTAssertEqual(folder.offer(a(3, "y")).count, 1)
        let out = folder.offer(a(4, "z"))
        XCTAssertEqual(out.map(\.output), ["x", "z"], "x's window is closed early and its repeat emitted")
        XCTAssertEqual(out.first?.count, 1)
        XCTAssertEqual(folder.windows.count, 2)
    }
}
