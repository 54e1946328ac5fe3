// SPDX-License-Identifier: Apache-2.0
// Incidents inside the engine and over recorded traces: alerts leave the engine stamped, Incident
// alerts follow the alert that raised them, quiet incidents close as event time moves (gauge back
// to 0), and replaying the recorded runc attack yields exactly one incident that all its alerts carry.

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class IncidentEngineTests: XCTestCase {
    private static let gaugeLabel = "runtime_watch_incidents_open"

    func testEngineStampsAlertsRaisesIncidentAndClosesItInEventTime() {
        let metrics = RecordingMetrics()
        var (engine, sink) = Fixture.engine(metrics: metrics)
        for r in Fixture.processTree(inContainer: true) { engine.process(r) }
        engine.process(Fixture.tokenOpen(1))
        engine.process(Fixture.connect(2))
        // An unrelated event 3 s later releases the egress alert (held that long for a shell alert).
        engine.process(Fixture.record(5, .exit(ExitEvent(pid: ProcessID(999), code: 0))))
        let alerts = sink.alerts
        XCTAssertEqual(alerts.map(\.ruleID), ["service-account-token-read", "incident", "unexpected-outbound-connection", "incident"])
        let id = IncidentID.make(workloadKey: "pod:" + Fixture.podUID, openedAt: Fixture.at(1))
        XCTAssertEqual(Set(alerts.map { $0.fields["rw.incident.id"] }), [.string(id)])
        // Warning 15 (low), then + Notice 5 + one chain step 25 = 45 (medium).
        XCTAssertEqual(alerts.filter { $0.ruleID == "incident" }.map(\.priority), [.notice, .warning])
        XCTAssertEqual(metrics.gauge(Self.gaugeLabel, [("namespace", "shop"), ("band", "medium")]), 1)
        XCTAssertEqual(metrics.gauge(Self.gaugeLabel, [("namespace", "shop"), ("band", "low")]), 0, "the incident left the low band")
        XCTAssertEqual(engine.stats.incidentsOpen, 1)

        // Any event 600 s (the default quiet window) after the last alert closes it.
        engine.process(Fixture.record(601.9, .exit(ExitEvent(pid: ProcessID(130), code: 0))))
        XCTAssertEqual(engine.stats.incidentsOpen, 1, "599.9 s quiet: still open")
        engine.process(Fixture.record(602, .exit(ExitEvent(pid: ProcessID(100), code: 0))))
        XCTAssertEqual(engine.stats.incidentsOpen, 0)
        XCTAssertEqual(engine.stats.incidents.closed, 1)
        XCTAssertEqual(metrics.gauge(Self.gaugeLabel, [("namespace", "shop"), ("band", "medium")]), 0)
    }

    func testAuditAlertLinkedToThePodJoinsItsIncident() {
        var (engine, sink) = Fixture.engine(detectors: [FakeDetector(), K8sAuditDetector()])
        for r in Fixture.processTree(inContainer: true) { engine.process(r) }
        engine.process(Fixture.connect(1)) // the pod's address 10.244.1.5 becomes known; egress alert opens the incident
        let audit = AuditEvent(level: "Metadata", auditID: "a1", stage: "ResponseComplete", requestURI: "/api/v1/secrets", verb: "list",
                               user: AuditUser(username: "system:serviceaccount:shop:web"), sourceIPs: ["10.244.1.5"],
                               objectRef: AuditObjectReference(resource: "secrets"), responseStatus: AuditResponseStatus(code: 403),
                               annotations: [AuditEvent.decisionAnnotation: "forbid"])
        // 5 s: past the 3 s the engine holds an egress alert for a shell alert that may take it in.
        engine.process(EventRecord(timestamp: Fixture.at(5), event: .k8sAudit(audit)))
        let detections = sink.detections
        XCTAssertEqual(detections.map(\.ruleID), ["unexpected-outbound-connection", "k8s-secrets-listed-all-namespaces"])
        XCTAssertEqual(detections.last?.fields["ka.correlation"], "source-ip")
        let id = FieldValue.string(IncidentID.make(workloadKey: "pod:" + Fixture.podUID, openedAt: Fixture.at(1)))
        XCTAssertEqual(detections.map { $0.fields["rw.incident.id"] }, [id, id])
        let report = IncidentReport(alerts: sink.alerts, profile: try! ProfileLoader().embeddedDefault())
        XCTAssertEqual(report.blocks.count, 1)
        XCTAssertEqual(report.blocks.first?.members.map { IncidentTimelineEntry($0).process }, ["nc(130)", "user system:serviceaccount:shop:web"])
    }

    func testDisablingTheIncidentRuleKeepsTheIDsButRaisesNothing() {
        var (engine, sink) = Fixture.engine(disabled: [Rule.incident.id])
        for r in Fixture.processTree(inContainer: true) { engine.process(r) }
        engine.process(Fixture.tokenOpen(1))
        XCTAssertEqual(sink.alerts.map(\.ruleID), ["service-account-token-read"])
        XCTAssertNotNil(sink.alerts.first?.fields["rw.incident.id"])
    }

    func testHostAlertsAreNotGrouped() {
        var (engine, sink) = Fixture.engine()
        for r in Fixture.processTree(inContainer: false) { engine.process(r) }
        engine.process(Fixture.connect(1))
        engine.finish()
        XCTAssertEqual(sink.alerts.map(\.ruleID), ["unexpected-outbound-connection"])
        XCTAssertNil(sink.alerts[0].fields["rw.incident.id"])
        XCTAssertEqual(engine.stats.incidents.opened, 0)
    }

    // MARK: - Replay of the recorded fixtures

    /// Replays a fixture as `runtime-watch replay` does (same as GoldenReplayTests).
    private func replay(_ name: String) async throws -> [Alert] {
        let dir = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        var issues: [String] = []
        let reader = try TraceReader(path: dir.appendingPathComponent(name).path, onIssue: { issues.append("\($0)") })
        let header = try XCTUnwrap(try reader.readHeader())
        let sink = InMemoryAlertSink()
        let engine = Engine(configuration: EngineConfiguration(hostname: header.hostname), detectors: BuiltinDetectors.make(),
                            profile: try ProfileLoader().embeddedDefault(), sink: sink)
        var loop = DriveLoop(engine: engine)
        try await loop.run(TraceSource(reader: reader))
        XCTAssertEqual(issues, [], "\(name): malformed lines")
        return sink.alerts
    }

    func testRecordedAttackIsOneIncidentThatAllItsAlertsCarry() async throws {
        let alerts = try await replay("runc-pod-attack.jsonl")
        let members = alerts.filter { $0.ruleID != Rule.incident.id }
        XCTAssertEqual(members.map(\.ruleID), ["service-account-token-read", "reverse-shell"])
        let ids = Set(alerts.compactMap { $0.fields["rw.incident.id"] })
        XCTAssertEqual(ids.count, 1, "one incident")
        XCTAssertTrue(alerts.allSatisfy { $0.fields["rw.incident.id"] != nil }, "every alert carries its id")
        let report = IncidentReport(alerts: alerts, profile: try ProfileLoader().embeddedDefault())
        XCTAssertEqual(report.blocks.count, 1)
        XCTAssertEqual(report.blocks[0].members.map(\.ruleID), ["service-account-token-read", "reverse-shell"])
        XCTAssertEqual(report.blocks[0].workload, "pod shop/shop-web-7d4b9c-x2x9q")
        // Token read (Critical: 40) then shell (Critical: 40), in chain order: + 25.
        XCTAssertEqual(report.blocks[0].latestIncidentAlert?.fields["rw.incident.score"], .int(105))
        XCTAssertEqual(report.blocks[0].latestIncidentAlert?.priority, .critical)
        // The report scores the members with the same code: the same figures as the live alert.
        XCTAssertEqual(report.blocks[0].score, 105)
        XCTAssertEqual(report.blocks[0].band, .critical)
        XCTAssertEqual(report.blocks[0].chain, 2)

        // Replaying again names the incident the same way (ids come from event time, not the clock).
        let again = try await replay("runc-pod-attack.jsonl")
        XCTAssertEqual(Set(again.compactMap { $0.fields["rw.incident.id"] }), ids)
    }

    func testBenignRecordingHasNoIncident() async throws {
        let alerts = try await replay("host-pipeline-lookalikes.jsonl")
        XCTAssertEqual(alerts, [])
        XCTAssertEqual(IncidentReport(alerts: alerts, profile: try ProfileLoader().embeddedDefault()).text(), "No incidents.\n")
    }
}
