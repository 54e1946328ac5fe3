// SPDX-License-Identifier: Apache-2.0
// The incident tracker on its own, over hand-made alerts: grouping by workload, the stable id,
// chain scoring, bands and their Incident alerts, the quiet window in event time, and the bounds.

import XCTest
@testable import RuntimeWatchCore

final class IncidentTrackerTests: XCTestCase {
    static let podA = (uid: "aaaaaaaa-0000-0000-0000-000000000001", ns: "shop", name: "web-0", container: "a00000000001")
    static let podB = (uid: "bbbbbbbb-0000-0000-0000-000000000002", ns: "shop", name: "api-0", container: "b00000000002")

    /// An alert of `rule` at `seconds` about pod A (or the given pod), with a process and a target.
    static func alert(_ rule: Rule, at seconds: Double, priority: Priority? = nil,
                      pod: (uid: String, ns: String, name: String, container: String)? = podA,
                      container: String? = nil, extra: AlertFields = [:]) -> Alert {
        var fields: AlertFields = [
            "evt.time": .int(Int64(Fixture.at(seconds))), "proc.pid": .int(42), "proc.name": "sh",
            "fd.name": "/var/run/secrets/kubernetes.io/serviceaccount/token", "fd.rip": .null,
            "container.id": FieldValue(pod?.container ?? container), "k8s.pod.uid": FieldValue(pod?.uid),
            "k8s.ns.name": FieldValue(pod?.ns), "k8s.pod.name": FieldValue(pod?.name),
        ]
        for (k, v) in extra { fields[k] = v }
        return Alert(timestamp: Fixture.at(seconds), ruleID: rule.id, ruleName: rule.name, priority: priority ?? rule.priority,
                     source: rule.source, hostname: "node-1", output: rule.name, tags: rule.tags, fields: fields, advice: "")
    }

    /// The four chain steps about pod A, one second apart, at fixed priorities (Warning, Critical,
    /// Warning, Critical: 15 + 40 + 15 + 40 = 110 points before any bonus).
    static let chain: [Alert] = [
        alert(.serviceAccountTokenRead, at: 1, priority: .warning),
        alert(.kubernetesAPIAfterTokenRead, at: 2, priority: .critical),
        alert(.unexpectedOutboundConnection, at: 3, priority: .warning),
        alert(.reverseShell, at: 4, priority: .critical),
    ]

    /// Runs `alerts` through a tracker. - Returns: what was delivered, in order (members and Incident alerts).
    static func run(_ alerts: [Alert], profile: Profile = Profile(), tracker: inout IncidentTracker) -> [Alert] {
        var out: [Alert] = []
        for a in alerts {
            let (stamped, raised) = tracker.track(a, profile: profile, hostname: "node-1")
            out.append(stamped)
            out += raised
        }
        return out
    }

    static func run(_ alerts: [Alert], profile: Profile = Profile()) -> [Alert] {
        var tracker = IncidentTracker()
        return run(alerts, profile: profile, tracker: &tracker)
    }

    static func incidentAlerts(_ out: [Alert]) -> [Alert] { out.filter { $0.ruleID == Rule.incident.id } }
    static func score(_ a: Alert?) -> FieldValue? { a?.fields["rw.incident.score"] }

    func testChainInOrderScoresMoreThanItsStepsAndRaisesOnEachHigherBand() {
        let out = Self.run(Self.chain)
        let raised = Self.incidentAlerts(out)
        // Opened at 15 (low), then 15+40 + 1 step × 25 = 80 (high), then 15+40+15 + 2 × 25 = 120
        // (critical); the shell makes 110 + 3 × 25 = 185, still critical: no fourth Incident alert.
        XCTAssertEqual(raised.map(\.priority), [.notice, .error, .critical])
        XCTAssertEqual(raised.map { Self.score($0) }, [.int(15), .int(80), .int(120)])
        XCTAssertEqual(raised.map { $0.fields["rw.incident.reason"] }, ["opened", "score entered band high", "score entered band critical"])
        var tracker = IncidentTracker()
        _ = Self.run(Self.chain, tracker: &tracker)
        XCTAssertEqual(tracker.openByNamespaceBand(Profile().incidents), [IncidentTracker.OpenKey(namespace: "shop", band: .critical): 1])

        // The same alerts in reverse order: no chain bonus, only the 110 points of the steps.
        let reversed = Self.chain.reversed().enumerated().map { i, a -> Alert in
            var b = a; b.timestamp = Fixture.at(Double(i + 1)); return b
        }
        var reverseTracker = IncidentTracker()
        let reverseOut = Self.run(reversed, tracker: &reverseTracker)
        XCTAssertEqual(Self.score(Self.incidentAlerts(reverseOut).last), .int(110))
        XCTAssertEqual(reverseTracker.openByNamespaceBand(Profile().incidents), [IncidentTracker.OpenKey(namespace: "shop", band: .critical): 1])
        XCTAssertEqual(Self.incidentAlerts(reverseOut).last?.fields["rw.incident.chain"], .int(1))
    }

    func testGapsInTheChainStillCountInOrder() {
        // Token read then reverse shell (the recorded runc attack): 2 steps, one bonus.
        let out = Self.run([Self.chain[0], Self.chain[3]])
        XCTAssertEqual(Self.score(Self.incidentAlerts(out).last), .int(15 + 40 + 25))
        XCTAssertEqual(Self.incidentAlerts(out).last?.fields["rw.incident.chain"], .int(2))
    }

    func testTheChainFollowsEventTimeNotDeliveryOrder() {
        // Live, the egress alert of the connect that preceded the shell arrives after the shell's.
        var tracker = IncidentTracker()
        let out = Self.run([Self.chain[0], Self.chain[3], Self.chain[2]], tracker: &tracker)
        // Raised at the token read (15), the shell (token → shell: 80, high) and the late egress alert
        // (token → egress → shell: 15 + 40 + 15 + 2 × 25 = 120, critical).
        XCTAssertEqual(Self.incidentAlerts(out).map { $0.fields["rw.incident.chain"] }, [.int(1), .int(2), .int(3)])
        XCTAssertEqual(Self.score(Self.incidentAlerts(out).last), .int(120))
        guard case .list(let timeline)? = Self.incidentAlerts(out).last?.fields["rw.incident.timeline"] else { return XCTFail("no timeline") }
        XCTAssertEqual(timeline.map { $0.split(separator: " ")[1] }, ["service-account-token-read", "unexpected-outbound-connection", "reverse-shell"],
                       "the timeline is in event time order")
        let settings = Profile().incidents
        XCTAssertEqual(tracker.openByNamespaceBand(settings), [IncidentTracker.OpenKey(namespace: "shop", band: .critical): 1])
        var chain = AttackChain()
        for a in [Self.chain[0], Self.chain[3], Self.chain[2]] { chain.record(a.ruleID, at: a.timestamp, cap: 8) }
        XCTAssertEqual(chain.length, 3, "token read (1 s) → egress (3 s) → shell (4 s)")
        // A step seen only before the first one does not extend the chain.
        var early = AttackChain()
        early.record(Rule.reverseShell.id, at: 1, cap: 8)
        early.record(Rule.serviceAccountTokenRead.id, at: 2, cap: 8)
        XCTAssertEqual(early.length, 1)
        early.record(Rule.reverseShell.id, at: 3, cap: 8)
        XCTAssertEqual(early.length, 2, "a later shell does")
    }

    func testAShellAlertThatTookInItsEgressAlertCountsBothSteps() {
        // ShellEgressJoin folds the egress alert of the shell's own connection into the shell alert.
        let shell = Self.alert(.reverseShell, at: 4, extra: ["rw.folded_rules": .list(["unexpected-outbound-connection"])])
        let out = Self.run([Self.chain[0], shell])
        XCTAssertEqual(Self.incidentAlerts(out).last?.fields["rw.incident.chain"], .int(3), "token read → egress → shell")
        // 15 (token read) + 40 (shell) + 5 (egress at its default Notice) + 2 steps × 25.
        XCTAssertEqual(Self.score(Self.incidentAlerts(out).last), .int(110))
    }

    func testEveryMemberCarriesTheIncidentIDAndTheTimelineIsInOrder() {
        let out = Self.run(Self.chain)
        let id = IncidentID.make(workloadKey: "pod:" + Self.podA.uid, openedAt: Fixture.at(1))
        XCTAssertTrue(id.hasPrefix("inc-") && id.count == 20, id)
        XCTAssertEqual(Set(out.map { $0.fields["rw.incident.id"] }), [.string(id)])
        guard case .list(let timeline)? = Self.incidentAlerts(out).last?.fields["rw.incident.timeline"] else {
            return XCTFail("no timeline")
        }
        XCTAssertEqual(timeline.count, 3, "the Incident alert raised at the egress step lists the first three")
        XCTAssertEqual(timeline[0], "2024-05-01T12:00:01.000000000Z service-account-token-read sh(42) /var/run/secrets/kubernetes.io/serviceaccount/token")
        XCTAssertTrue(timeline[1].contains(" k8s-api-after-token-read sh(42) "), timeline[1])
        XCTAssertTrue(Self.incidentAlerts(out).last!.output.contains("for pod shop/web-0 (score=120 band=critical alerts=3 chain=3/4): 2024-05-01T12:00:01"),
                      Self.incidentAlerts(out).last!.output)
    }

    func testTheIDIsTheSameOnEveryRun() {
        let first = Self.run(Self.chain).map { $0.fields["rw.incident.id"] }
        let second = Self.run(Self.chain).map { $0.fields["rw.incident.id"] }
        XCTAssertEqual(first, second)
        // A different opening time is a different incident.
        XCTAssertNotEqual(IncidentID.make(workloadKey: "pod:x", openedAt: 1), IncidentID.make(workloadKey: "pod:x", openedAt: 2))
    }

    func testTwoPodsGiveTwoIncidents() {
        let alerts = [
            Self.alert(.serviceAccountTokenRead, at: 1),
            Self.alert(.serviceAccountTokenRead, at: 1.5, pod: Self.podB),
            Self.alert(.reverseShell, at: 2),
            Self.alert(.reverseShell, at: 2.5, pod: Self.podB),
        ]
        let out = Self.run(alerts)
        let members = out.filter { $0.ruleID != Rule.incident.id }
        let idA = members[0].fields["rw.incident.id"], idB = members[1].fields["rw.incident.id"]
        XCTAssertNotNil(idA); XCTAssertNotNil(idB)
        XCTAssertNotEqual(idA, idB)
        XCTAssertEqual(members.map { $0.fields["rw.incident.id"] }, [idA, idB, idA, idB])
        XCTAssertEqual(Set(Self.incidentAlerts(out).compactMap { $0.fields["rw.incident.id"] }), [idA!, idB!])
    }

    func testWorkloadKeys() {
        XCTAssertEqual(IncidentWorkload(Self.alert(.reverseShell, at: 1))?.key, "pod:" + Self.podA.uid)
        var noUID = Self.alert(.reverseShell, at: 1)
        noUID.fields["k8s.pod.uid"] = .null
        XCTAssertEqual(IncidentWorkload(noUID)?.key, "pod:shop/web-0")
        XCTAssertEqual(IncidentWorkload(Self.alert(.reverseShell, at: 1, pod: nil, container: "c0ffee000001"))?.key, "container:c0ffee000001")
        XCTAssertNil(IncidentWorkload(Self.alert(.reverseShell, at: 1, pod: nil, container: "host")))
        XCTAssertNil(IncidentWorkload(Self.alert(.internalEventDrop, at: 1, pod: nil)))
    }

    func testHostAndInternalAlertsAreNotGrouped() {
        let out = Self.run([Self.alert(.bindShell, at: 1, pod: nil, container: "host"), Self.alert(.internalEventDrop, at: 2, pod: nil)])
        XCTAssertEqual(out.count, 2, "no Incident alert")
        XCTAssertTrue(out.allSatisfy { $0.fields["rw.incident.id"] == nil })
    }

    func testClosesAfterTheQuietWindowInEventTime() {
        var profile = Profile()
        profile.incidents.quietWindowSeconds = 10
        var tracker = IncidentTracker()
        let first = Self.run([Self.alert(.serviceAccountTokenRead, at: 1), Self.alert(.reverseShell, at: 10.5)], profile: profile, tracker: &tracker)
        XCTAssertEqual(Set(first.map { $0.fields["rw.incident.id"] }).count, 1, "9.5 s after the first alert: it joins")
        tracker.expire(now: Fixture.at(20.25), settings: profile.incidents)
        XCTAssertEqual(tracker.openCount, 1, "9.75 s quiet: still open")
        tracker.expire(now: Fixture.at(20.5), settings: profile.incidents)
        XCTAssertEqual(tracker.openCount, 0, "10 s quiet: closed")
        XCTAssertEqual(tracker.counts.closed, 1)
        // The next alert of the pod opens a new incident with a new id and a new Incident alert.
        let later = Self.run([Self.alert(.reverseShell, at: 30)], profile: profile, tracker: &tracker)
        XCTAssertEqual(later.count, 2)
        XCTAssertNotEqual(later[0].fields["rw.incident.id"], first[0].fields["rw.incident.id"])
        XCTAssertEqual(later[1].fields["rw.incident.reason"], "opened")
        // Without expire, an alert after the window still starts a new incident.
        var direct = IncidentTracker()
        let out = Self.run([Self.alert(.reverseShell, at: 1), Self.alert(.reverseShell, at: 11)], profile: profile, tracker: &direct)
        XCTAssertEqual(Self.incidentAlerts(out).count, 2)
        XCTAssertEqual(direct.counts.opened, 2)
        XCTAssertEqual(direct.counts.closed, 1)
    }

    func testBoundsOnOpenIncidentsAndTimeline() {
        var profile = Profile()
        profile.incidents.maxOpen = 2
        profile.incidents.maxTimeline = 2
        var tracker = IncidentTracker()
        let podC = (uid: "cccccccc-0000-0000-0000-000000000003", ns: "shop", name: "db-0", container: "c00000000003")
        _ = Self.run([Self.alert(.reverseShell, at: 1), Self.alert(.reverseShell, at: 2, pod: Self.podB),
                      Self.alert(.reverseShell, at: 3, pod: podC)], profile: profile, tracker: &tracker)
        XCTAssertEqual(tracker.openCount, 2)
        XCTAssertEqual(tracker.counts.evicted, 1, "pod A, quiet longest, was closed to make room")
        XCTAssertEqual(tracker.counts.closed, 1)

        var timelineTracker = IncidentTracker()
        var alerts = (0..<5).map { Self.alert(.unexpectedOutboundConnection, at: Double($0 + 1), priority: .notice) }
        alerts.append(Self.alert(.reverseShell, at: 6))
        let out = Self.run(alerts, profile: profile, tracker: &timelineTracker)
        XCTAssertEqual(timelineTracker.counts.timelineDropped, 4)
        let last = Self.incidentAlerts(out).last
        XCTAssertEqual(last?.fields["rw.incident.alerts"], .int(6))
        XCTAssertEqual(last?.fields["rw.incident.timeline_dropped"], .int(4))
        guard case .list(let timeline)? = last?.fields["rw.incident.timeline"] else { return XCTFail("no timeline") }
        XCTAssertEqual(timeline.count, 2)
        XCTAssertTrue(last!.output.hasSuffix("; 4 more not listed"), last!.output)
    }

    func testProductionAndFirstSeenWeights() {
        var profile = Profile()
        profile.incidents.productionNamespaces = [Glob("shop")]
        let production = Self.run([Self.alert(.reverseShell, at: 1)], profile: profile)
        XCTAssertEqual(Self.score(Self.incidentAlerts(production).first), .int(40 + 20))
        XCTAssertEqual(Self.incidentAlerts(production).first?.fields["rw.incident.production"], "true")

        // settings.production_namespaces is the fallback when incidents names none.
        var fallback = Profile()
        fallback.settings.productionNamespaces = [Glob("sh*")]
        XCTAssertEqual(Self.score(Self.incidentAlerts(Self.run([Self.alert(.reverseShell, at: 1)], profile: fallback)).first), .int(60))

        let firstSeen = Self.run([Self.alert(.reverseShell, at: 1, extra: ["rw.first_seen": "true"])])
        XCTAssertEqual(Self.score(Self.incidentAlerts(firstSeen).first), .int(40 + 10))
    }

    func testRepeatsOfARuleAddNoPoints() {
        var tracker = IncidentTracker()
        let out = Self.run((0..<20).map { Self.alert(.unexpectedOutboundConnection, at: Double($0 + 1), priority: .warning) }, tracker: &tracker)
        XCTAssertEqual(Self.incidentAlerts(out).count, 1, "a looping process stays one low incident")
        XCTAssertEqual(tracker.openByNamespaceBand(Profile().incidents), [IncidentTracker.OpenKey(namespace: "shop", band: .low): 1])
    }

    func testCustomWeightsAndThresholds() {
        var profile = Profile()
        profile.incidents.priorityWeights[.critical] = 100
        profile.incidents.bonusWeights["chain_step"] = 0
        profile.incidents.thresholds[.critical] = 300
        var tracker = IncidentTracker()
        let out = Self.run(Self.chain, profile: profile, tracker: &tracker)
        // Opened at 15 (low); 115 at the API contact (high); 230 at the end: still below 300.
        XCTAssertEqual(Self.incidentAlerts(out).map { $0.fields["rw.incident.band"] }, ["low", "high"])
        XCTAssertEqual(Self.score(Self.incidentAlerts(out).last), .int(115))
        XCTAssertEqual(tracker.openByNamespaceBand(profile.incidents), [IncidentTracker.OpenKey(namespace: "shop", band: .high): 1])
    }
}
