// SPDX-License-Identifier: Apache-2.0
// Engine behaviour other than folding: disabled rules, profile allowlisting through a detector,
// profile reload, counters as values and as swift-metrics, the rate-limited drop alert, the catalog.

import XCTest
@testable import RuntimeWatchCore

final class EngineTests: XCTestCase {
    func testDisabledRuleProducesNothing() {
        var (engine, sink) = Fixture.engine(disabled: ["service-account-token-read"])
        for r in Fixture.processTree(inContainer: true) + [Fixture.tokenOpen(1), Fixture.tokenOpen(2), Fixture.connect(3)] {
            engine.process(r)
        }
        engine.finish()
        XCTAssertEqual(sink.detections.map(\.ruleID), ["unexpected-outbound-connection"])
        XCTAssertEqual(engine.stats.alertsDisabled, 2)
        XCTAssertNil(engine.stats.alertsByRule["service-account-token-read"])
    }

    func testDetectorWithAllRulesDisabledDoesNotRun() throws {
        let profile = try ProfileLoader().parse("version: 1\ndisable: [unexpected-outbound-connection]\n", file: "p.yaml")
        var (engine, sink) = Fixture.engine(profile: profile, disabled: ["service-account-token-read"])
        for r in Fixture.processTree(inContainer: true) + [Fixture.tokenOpen(1), Fixture.connect(2)] { engine.process(r) }
        XCTAssertTrue(sink.detections.isEmpty)
        XCTAssertEqual(engine.stats.alertsDisabled, 0, "nothing to filter: the detector was skipped")
        XCTAssertEqual(engine.disabledRules, ["service-account-token-read", "unexpected-outbound-connection"])
    }

    func testProfileAllowlistAndReload() throws {
        var (engine, sink) = Fixture.engine()
        for r in Fixture.processTree(inContainer: true) { engine.process(r) }
        engine.process(Fixture.tokenOpen(1))
        XCTAssertEqual(sink.detections.count, 1)

        let profile = try ProfileLoader().parse("""
            version: 1
            allow:
              - rules: [service-account-token-read]
                namespace: shop
                executable: /usr/bin/nc*
                reason: test
            """, file: "p.yaml")
        engine.replaceProfile(profile)
        engine.process(Fixture.tokenOpen(100))
        engine.process(Fixture.tokenOpen(101, pid: 100))  // busybox sh: not allowlisted
        engine.finish()
        XCTAssertEqual(sink.detections.map { $0.fields["proc.exepath"] }, [.string("/usr/bin/nc.openbsd"), .string("/bin/busybox")])
        engine.recordProfileReloadFailure()
        XCTAssertEqual(engine.stats.profileReloadsOK, 1)
        XCTAssertEqual(engine.stats.profileReloadsFailed, 1)
    }

    func testStatsAndMetrics() {
        let metrics = RecordingMetrics()
        var (engine, _) = Fixture.engine(metrics: metrics)
        let records = Fixture.processTree(inContainer: true) + [Fixture.tokenOpen(1), Fixture.tokenOpen(2), Fixture.drop(3, count: 7)]
        for r in records { engine.process(r) }
        engine.finish()
        let s = engine.stats
        XCTAssertEqual(s.eventsByKind, ["snapshot": 2, "container": 1, "fork": 2, "exec": 2, "open": 2, "drop": 1])
        XCTAssertEqual(s.events, UInt64(records.count))
        XCTAssertEqual(s.dropsByCause, ["proc_connector": 7])
        // The pod's incident opened on the first token read (15 points: low band, a Notice).
        XCTAssertEqual(s.alertsByRule, ["service-account-token-read": 2, "internal-event-drop": 1, "incident": 1])
        XCTAssertEqual(s.alertsByPriority, ["Warning": 2, "Critical": 1, "Notice": 1])
        XCTAssertEqual(s.incidents.opened, 1)
        XCTAssertEqual(s.incidentsOpen, 1)
        XCTAssertEqual(s.processTableSize, 4)

        XCTAssertEqual(metrics.counter("runtime_watch_events_total", [("source", "fanotify"), ("kind", "open")]), 2)
        XCTAssertEqual(metrics.counter("runtime_watch_events_total", [("source", "proc_connector"), ("kind", "exec")]), 2)
        XCTAssertEqual(metrics.counter("runtime_watch_events_total", [("source", "procfs"), ("kind", "snapshot")]), 2)
        XCTAssertEqual(metrics.counter("runtime_watch_events_total", [("source", "connect"), ("kind", "connect")]), 0)
        XCTAssertEqual(metrics.counter("runtime_watch_drops_total", [("source", "proc_connector"), ("cause", "unspecified")]), 7)
        XCTAssertEqual(metrics.counter("runtime_watch_alerts_total", [("rule", "service-account-token-read"), ("priority", "Warning")]), 2)
        XCTAssertEqual(metrics.counter("runtime_watch_alerts_total", [("rule", "internal-event-drop"), ("priority", "Critical")]), 1)
        XCTAssertEqual(metrics.gauge("runtime_watch_process_table_size"), 4)
        engine.replaceProfile(Profile())
        engine.recordProfileReloadFailure()
        engine.recordProfileReloadFailure()
        XCTAssertEqual(metrics.counter("runtime_watch_profile_reloads_total", [("result", "ok")]), 1)
        XCTAssertEqual(metrics.counter("runtime_watch_profile_reloads_total", [("result", "failed")]), 2)
    }

    func testEventKindTableMatchesEventKind() {
        let samples: [Event] = [
            .snapshot(ProcessInfo(pid: ProcessID(1))), .fork(ForkEvent(parent: ProcessID(1), child: ProcessID(2))),
            .exec(ProcessInfo(pid: ProcessID(1))), .exit(ExitEvent(pid: ProcessID(1), code: 0)),
            .uid(IDChangeEvent(pid: ProcessID(1), real: 0, effective: 0)), .gid(IDChangeEvent(pid: ProcessID(1), real: 0, effective: 0)),
            .sid(PIDEvent(pid: ProcessID(1))), .comm(CommEvent(pid: ProcessID(1), comm: "x")),
            .ptrace(PtraceEvent(pid: ProcessID(1), tracer: ProcessID(2), attach: true)), .coredump(PIDEvent(pid: ProcessID(1))),
            .container(Fixture.container), .drop(DropEvent(source: "q", count: 1, reason: "")),
            .fileOpen(FileOpenEvent(pid: ProcessID(1), path: "/")), .connect(ConnectEvent(pid: ProcessID(1), proto: "tcp", remoteAddress: "::1", remotePort: 1)),
            .descriptors(DescriptorsEvent(pid: ProcessID(1), fds: [])),
            .k8sAudit(AuditEvent(auditID: "a", stage: "ResponseComplete", requestURI: "/", verb: "get", user: AuditUser())),
        ]
        XCTAssertEqual(samples.count, EventKindTable.count)
        XCTAssertEqual(Set(samples.map(EventKindTable.index(of:))).count, EventKindTable.count)
        for e in samples { XCTAssertEqual(EventKindTable.kinds[EventKindTable.index(of: e)], e.kind) }
    }

    // MARK: - Drop alert

    func testDropAlertIsRateLimitedAndReportsWhatWasHeldBack() {
        // At most one per 30 s; threshold 10 lost events.
        var (engine, sink) = Fixture.engine(detectors: [], dropAlert: DropAlertPolicy(threshold: 10, intervalNanoseconds: 30 * Fixture.second))
        engine.process(Fixture.drop(0, count: 4))        // below threshold: nothing
        XCTAssertTrue(sink.detections.isEmpty)
        engine.process(Fixture.drop(1, count: 6))        // 10 pending: alert now
        engine.process(Fixture.drop(2, count: 50))       // rate-limited
        engine.process(Fixture.drop(20, count: 50, source: "fanotify"))  // still rate-limited
        XCTAssertEqual(sink.detections.count, 1)
        XCTAssertEqual(sink.detections[0].fields["n_drops"], .int(10))
        XCTAssertEqual(sink.detections[0].timestamp, Fixture.at(1))
        // An ordinary event past the interval releases the held-back report.
        engine.process(Fixture.record(31, .sid(PIDEvent(pid: ProcessID(1)))))
        XCTAssertEqual(sink.detections.count, 2)
        let second = sink.detections[1]
        XCTAssertEqual(second.fields["n_drops"], .int(100))
        XCTAssertEqual(second.fields["drop.causes"], .list(["fanotify=50", "proc_connector=50"]))
        // Reports partition the events: the t=1 drop was counted in the first report; the sid that
        // released this one is counted in the next.
        XCTAssertEqual(second.fields["n_evts"], .int(2), "events since the last report: the drops at t=2 and t=20")
        XCTAssertEqual(second.ruleName, "runtime-watch internal: event drop")
        XCTAssertEqual(second.source, .internal_)
        XCTAssertEqual(second.priority, .critical)
        XCTAssertEqual(second.output, "runtime-watch internal: event drop. 100 events lost since the last report (fanotify=50,proc_connector=50; ENOBUFS) while 2 events were processed")
        // Nothing pending: finish adds nothing.
        engine.finish()
        XCTAssertEqual(sink.detections.count, 2)
        XCTAssertEqual(engine.stats.dropsByCause, ["proc_connector": 60, "fanotify": 50])
    }

    func testFinishReportsPendingDropsDespiteRateLimit() {
        var (engine, sink) = Fixture.engine(detectors: [])
        engine.process(Fixture.drop(0, count: 1))
        engine.process(Fixture.drop(1, count: 2))
        XCTAssertEqual(sink.detections.count, 1)
        engine.finish()
        XCTAssertEqual(sink.detections.map { $0.fields["n_drops"] }, [.int(1), .int(2)])
    }

    func testDisabledDropRuleStillCountsDrops() {
        var (engine, sink) = Fixture.engine(detectors: [], disabled: ["internal-event-drop"])
        engine.process(Fixture.drop(0, count: 5))
        engine.finish()
        XCTAssertTrue(sink.detections.isEmpty)
        XCTAssertEqual(engine.stats.dropsByCause["proc_connector"], 5)
    }

    // MARK: - Catalog

    func testCatalogLookups() {
        let c = RuleCatalog.builtin
        XCTAssertEqual(c.ruleIDs, ["service-account-token-read", "reverse-shell", "bind-shell", "unexpected-outbound-connection",
                                   "k8s-api-after-token-read", "internal-event-drop", "internal-syscall-refused", "incident", "response-taken",
                                   "k8s-secrets-listed-all-namespaces", "k8s-secret-read", "k8s-pod-exec", "k8s-privileged-workload", "k8s-token-request",
                                   "k8s-abnormal-rate", "k8s-token-used-elsewhere"])
        XCTAssertEqual(c.rule(id: "reverse-shell")?.name, "Reverse shell")
        XCTAssertEqual(c.rule(named: "REVERSE SHELL")?.id, "reverse-shell")
        XCTAssertEqual(c.rule(idOrName: "runtime-watch internal: event drop")?.source, .internal_)
        XCTAssertNil(c.rule(id: "nope"))
        XCTAssertEqual(c.unknownIDs(in: ["reverse-shell", "reverse-shel"]), ["reverse-shel"])
        XCTAssertEqual(c.suggestion(for: "reverse-shel"), "reverse-shell")
        for rule in c.rules {
            XCTAssertFalse(rule.tags.isEmpty, rule.id)
            XCTAssertFalse(rule.advice.isEmpty, rule.id)
        }
    }

    func testDetectorRulesAreRegistered() {
        let custom = Rule(id: "shell-in-container", name: "Shell in container", priority: .notice, tags: ["T1059"],
                          description: "d", advice: "a")
        let (engine, _) = Fixture.engine(detectors: [ScriptedDetector(rules: [custom], alert: Fixture.emptyAlert)])
        XCTAssertEqual(engine.catalog.rule(id: "shell-in-container"), custom)
        XCTAssertNotNil(engine.catalog.rule(id: "reverse-shell"))
    }
}

extension Fixture {
    static var emptyAlert: Alert {
        Alert(timestamp: 0, ruleID: "", ruleName: "", priority: .debug, source: .syscall, hostname: "", output: "", tags: [], fields: [:], advice: "")
    }
}
