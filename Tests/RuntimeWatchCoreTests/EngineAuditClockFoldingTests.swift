// SPDX-License-Identifier: Apache-2.0
// k8s_audit alerts fold on the audit events' own clock (issue 19 item 5): 3,000 identical old audit
// events (an old log read from its start) fold the same live, between current process events, as
// in a replay of the log alone. On the node's clock each process event closed the old alerts'
// window, and live wrote 3,000 alerts where replay wrote 2.

@testable import RuntimeWatchCore
import XCTest

final class EngineAuditClockFoldingTests: XCTestCase {
    static let second: UInt64 = 1_000_000_000
    /// The node's clock, and the audit log's: 14 days behind it.
    static let nodeNow: UInt64 = 1_795_165_200 * second
    static let auditStart = nodeNow - 14 * 86_400 * second

    private func secretList(_ i: Int) -> EventRecord {
        let event = AuditEvent(level: "Metadata", auditID: "old-\(i)", stage: "ResponseComplete", requestURI: "/api/v1/secrets",
                               verb: "list", user: AuditUser(username: "mallory", groups: ["system:authenticated"]),
                               sourceIPs: ["192.0.2.10"], userAgent: "kubectl/v1.31.2",
                               objectRef: AuditObjectReference(resource: "secrets"), responseStatus: AuditResponseStatus(code: 200))
        // 3,000 events over 30 s of audit time: all inside one 60 s fold window (the default).
        return EventRecord(timestamp: Self.auditStart + UInt64(i) * Self.second / 100, event: .k8sAudit(event))
    }

    private func run(_ records: [EventRecord]) throws -> [Alert] {
        let sink = InMemoryAlertSink()
        var engine = Engine(configuration: EngineConfiguration(hostname: "h"), detectors: BuiltinDetectors.make(),
                            profile: try ProfileLoader().load([ProfileSource(name: ProfileLoader.embeddedDefaultName, text: DefaultProfile.yaml)]),
                            sink: sink)
        for r in records { engine.process(r) }
        engine.finish()
        return sink.detections.filter { $0.ruleID == "k8s-secrets-listed-all-namespaces" }
    }

    func testOldAuditEventsFoldLiveAsInReplay() throws {
        let audit = (0..<3000).map(secretList)
        // Live: the node's process events (current time) arrive between the audit events.
        var live: [EventRecord] = []
        for (i, record) in audit.enumerated() {
            live.append(record)
            live.append(EventRecord(timestamp: Self.nodeNow + UInt64(i) * 1_000_000,
                                    event: .fork(ForkEvent(parent: ProcessID(1), child: ProcessID(Int32(1000 + i))))))
        }
        let replayed = try run(audit), lived = try run(live)
        XCTAssertEqual(replayed.map(\.count), [1, 2999], "the first at once, then one alert for the repeats")
        XCTAssertEqual(lived.map(\.count), replayed.map(\.count), "live folds as replay does")
        XCTAssertEqual(lived.map(\.timestamp), replayed.map(\.timestamp))
    }

    func testAuditWindowsCloseOnTheAuditClock() throws {
        // A repeat 70 s of audit time later (past the 60 s window) is a new alert, whatever the
        // node's clock says; one 10 s later is folded into the first window.
        let later = { (i: Int, seconds: UInt64) in
            EventRecord(timestamp: Self.auditStart + seconds * Self.second, event: self.secretList(i).event)
        }
        let node = EventRecord(timestamp: Self.nodeNow, event: .fork(ForkEvent(parent: ProcessID(1), child: ProcessID(999))))
        let alerts = try run([later(0, 0), node, later(1, 10), later(2, 70)])
        XCTAssertEqual(alerts.map(\.count), [1, 1, 1], "first, the folded repeat (closed by the event at 70 s), then a new window")
        XCTAssertEqual(alerts.map(\.timestamp), [Self.auditStart, Self.auditStart + 10 * Self.second, Self.auditStart + 70 * Self.second])
    }
}
