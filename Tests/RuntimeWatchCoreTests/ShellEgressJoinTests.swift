// SPDX-License-Identifier: Apache-2.0
// One line per reverse shell: the egress alert of the shell's own connection is folded into the
// shell alert whichever comes first, within the hold; other egress alerts are written after the
// hold (event time, a live heartbeat, or the end of input), and nothing is lost on the way.

import XCTest
import Metrics
@testable import RuntimeWatchCore

final class ShellEgressJoinTests: XCTestCase {
    private func alert(_ rule: Rule, at seconds: Double, container: String = "abababababab", address: String = "198.51.100.1",
                       port: Int64 = 4444) -> Alert {
        Alert(timestamp: Fixture.at(seconds), ruleID: rule.id, ruleName: rule.name, priority: rule.priority, source: .syscall,
              hostname: "node-1", output: rule.id, tags: rule.tags,
              fields: ["container.id": .string(container), "fd.rip": .string(address), "fd.rport": .int(port)], advice: "")
    }

    private var egress: Rule { .unexpectedOutboundConnection }

    func testEgressThenShellIsOneShellAlertCarryingTheEgress() {
        var join = ShellEgressJoin()
        XCTAssertEqual(join.offer(alert(egress, at: 1), now: Fixture.at(1)).count, 0, "held for its shell")
        let out = join.offer(alert(.reverseShell, at: 2.5, address: "::ffff:198.51.100.1"), now: Fixture.at(2.5))
        XCTAssertEqual(out.map(\.ruleID), ["reverse-shell"])
        XCTAssertEqual(out.first?.fields["rw.folded_rules"], .list(["unexpected-outbound-connection"]))
        XCTAssertTrue(out.first?.tags.contains("TA0011") == true)
        XCTAssertEqual(join.folded, 1)
        XCTAssertEqual(join.flushAll().count, 0)
    }

    func testShellThenEgressIsOneLine() {
        var join = ShellEgressJoin()
        let shell = join.offer(alert(.reverseShell, at: 1), now: Fixture.at(1))
        XCTAssertEqual(shell.count, 1)
        XCTAssertNil(shell.first?.fields["rw.folded_rules"], "nothing was held yet")
        XCTAssertTrue(shell.first?.tags.contains("TA0011") == true, "its connection is the C2 channel either way")
        XCTAssertEqual(join.offer(alert(egress, at: 1.5), now: Fixture.at(1.5)).count, 0)
        XCTAssertEqual(join.folded, 1)
    }

    func testOtherConnectionsAreWrittenAfterTheHoldNotLost() {
        var join = ShellEgressJoin()
        _ = join.offer(alert(.reverseShell, at: 1), now: Fixture.at(1))
        XCTAssertEqual(join.offer(alert(egress, at: 1.2, port: 4445), now: Fixture.at(1.2)).count, 0)
        XCTAssertEqual(join.offer(alert(egress, at: 1.3, container: "cdcdcdcdcdcd"), now: Fixture.at(1.3)).count, 0)
        XCTAssertEqual(join.expire(now: Fixture.at(4.1)).count, 0, "not due before 3 s")
        XCTAssertEqual(join.expire(now: Fixture.at(4.2)).map { $0.fields["fd.rport"] }, [.int(4445)])
        XCTAssertEqual(join.flushAll().map { $0.fields["container.id"] }, [.string("cdcdcdcdcdcd")])
        // Past the hold, the same connection's egress alert is written: the shell is old news.
        XCTAssertEqual(join.offer(alert(egress, at: 5), now: Fixture.at(5)).count, 0)
        XCTAssertEqual(join.expire(now: Fixture.at(8)).count, 1)
        XCTAssertEqual(join.folded, 0)
    }

    func testBoundedHoldReleasesTheOldestFirst() {
        var join = ShellEgressJoin()
        var released: [Alert] = []
        for i in 0...join.capacity { released += join.offer(alert(egress, at: 1, port: Int64(10_000 + i)), now: Fixture.at(1)) }
        XCTAssertEqual(released.map { $0.fields["fd.rport"] }, [.int(10_000)])
        XCTAssertEqual(join.flushAll().count, join.capacity)
    }

    /// Through the engine: a held egress alert is written by a heartbeat when no event comes, and
    /// by `finish()` at the end of a replay.
    func testEngineWritesHeldAlertsOnHeartbeatAndAtFinish() {
        var (engine, sink) = Fixture.engine()
        for r in Fixture.processTree(inContainer: true) { engine.process(r) }
        engine.process(Fixture.connect(1))
        XCTAssertEqual(sink.alerts.filter { $0.ruleID == egress.id }.count, 0)
        engine.tick(at: Fixture.at(2))
        XCTAssertEqual(sink.alerts.filter { $0.ruleID == egress.id }.count, 0)
        engine.tick(at: Fixture.at(4.5))
        XCTAssertEqual(sink.alerts.filter { $0.ruleID == egress.id }.count, 1)
        engine.process(Fixture.connect(10, port: 5555))
        engine.finish()
        XCTAssertEqual(sink.alerts.filter { $0.ruleID == egress.id }.count, 2)
    }
}
