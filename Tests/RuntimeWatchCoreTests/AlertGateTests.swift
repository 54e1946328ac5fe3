// SPDX-License-Identifier: Apache-2.0
// AlertGate: the single place that keeps empty rule, time or output_fields out of the outputs.

import XCTest
@testable import RuntimeWatchCore

final class AlertGateTests: XCTestCase {
    func bare(id: String = "", name: String = "", time: UInt64 = Fixture.at(1)) -> Alert {
        Alert(timestamp: time, ruleID: id, ruleName: name, priority: .warning, source: .syscall, hostname: "",
              output: "", tags: [], fields: [:], advice: "", count: 0)
    }

    func testCompletesFromCatalog() throws {
        let a = try AlertGate.admit(bare(id: "reverse-shell"), catalog: .builtin, hostname: "node-1").get()
        XCTAssertEqual(a.ruleName, "Reverse shell")
        XCTAssertEqual(a.fields, ["evt.time": .int(Int64(Fixture.at(1)))])
        XCTAssertEqual(a.output, "Reverse shell")
        XCTAssertEqual(a.hostname, "node-1")
        XCTAssertEqual(a.count, 1)
        let byName = try AlertGate.admit(bare(name: "reverse shell"), catalog: .builtin, hostname: "h").get()
        XCTAssertEqual(byName.ruleID, "reverse-shell")
    }

    func testRefusesWhatCannotBeCompleted() {
        XCTAssertEqual(AlertGate.admit(bare(), catalog: .builtin, hostname: "h"), .failure(.noRule))
        XCTAssertEqual(AlertGate.admit(bare(id: "reverse-shell", time: 0), catalog: .builtin, hostname: "h"), .failure(.noTime))
    }

    func testEngineCountsRejectedAndNeverEmitsThem() {
        var (engine, sink) = Fixture.engine(detectors: [ScriptedDetector(alert: bare())])
        engine.process(Fixture.tokenOpen(1))
        engine.finish()
        XCTAssertTrue(sink.alerts.isEmpty)
        XCTAssertEqual(engine.stats.alertsRejected, 1)
    }
}
