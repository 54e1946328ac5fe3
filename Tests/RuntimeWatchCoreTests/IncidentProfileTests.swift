// SPDX-License-Identifier: Apache-2.0
// The profile's `incidents:` section: parsed values, defaults, layering, and refusals with
// file:line:column and a reason.

import XCTest
@testable import RuntimeWatchCore

final class IncidentProfileTests: XCTestCase {
    func testParsesEveryKey() throws {
        let yaml = """
            version: 1
            settings:
              production_namespaces: [prod]
            incidents:
              quiet_window_seconds: 120
              weights: {critical: 50, warning: 10, chain_step: 30, production: 5, first_seen: 0}
              thresholds: {medium: 20, high: 70, critical: 150}
              production_namespaces: ["shop-*"]
              max_open: 10
              max_timeline: 5
            """
        let p = try ProfileLoader().parse(yaml, file: "p.yaml")
        let s = p.incidents
        XCTAssertEqual(s.quietWindowNanoseconds, 120_000_000_000)
        XCTAssertEqual(s.weight(of: .critical), 50)
        XCTAssertEqual(s.weight(of: .warning), 10)
        XCTAssertEqual(s.weight(of: .error), 25, "unset priority keeps its default")
        XCTAssertEqual(s.bonus("chain_step"), 30)
        XCTAssertEqual(s.bonus("first_seen"), 0)
        XCTAssertEqual(s.band(of: 19), .low)
        XCTAssertEqual(s.band(of: 20), .medium)
        XCTAssertEqual(s.band(of: 149), .high)
        XCTAssertEqual(s.band(of: 150), .critical)
        XCTAssertEqual(s.effectiveMaxOpen, 10)
        XCTAssertEqual(s.effectiveMaxTimeline, 5)
        XCTAssertTrue(p.isIncidentProduction(namespace: "shop-eu"))
        XCTAssertFalse(p.isIncidentProduction(namespace: "prod"), "incidents.production_namespaces replaces settings'")
    }

    func testDefaultsAndLayering() throws {
        let defaults = Profile().incidents
        XCTAssertEqual(defaults.quietWindowNanoseconds, 600_000_000_000)
        XCTAssertEqual(defaults.band(of: 29), .low)
        XCTAssertEqual(defaults.band(of: 100), .critical)
        let base = try ProfileLoader().parse("version: 1\nincidents: {quiet_window_seconds: 60, weights: {critical: 45}}\n", file: "a.yaml")
        let later = try ProfileLoader().parse("version: 1\nincidents: {weights: {warning: 20}}\n", file: "b.yaml")
        let merged = base.merged(with: later).incidents
        XCTAssertEqual(merged.quietWindowNanoseconds, 60_000_000_000, "a key the later file does not set is kept")
        XCTAssertEqual(merged.weight(of: .critical), 45)
        XCTAssertEqual(merged.weight(of: .warning), 20)
    }

    func testRefusals() {
        assertProfileError("version: 1\nincidents:\n  quiet_window: 5\n", line: 3, column: 3, contains: "did you mean 'quiet_window_seconds'?")
        assertProfileError("version: 1\nincidents:\n  quiet_window_seconds: 0\n", line: 3, column: 25, contains: "must be more than 0")
        assertProfileError("version: 1\nincidents:\n  quiet_window_seconds: soon\n", line: 3, column: 25, contains: "must be a number")
        assertProfileError("version: 1\nincidents:\n  weights: {critcal: 5}\n", line: 3, column: 13, contains: "did you mean 'critical'?")
        assertProfileError("version: 1\nincidents:\n  weights: {critical: -1}\n", line: 3, column: 23, contains: "weight 'critical' must be between 0 and 10000")
        assertProfileError("version: 1\nincidents:\n  weights: {chain_step: 2.5}\n", line: 3, column: 25, contains: "weight 'chain_step' must be an integer")
        assertProfileError("version: 1\nincidents:\n  thresholds: {high: 20}\n", line: 3, column: 22, contains: "threshold 'high' (20) must be above 'medium' (30)")
        assertProfileError("version: 1\nincidents:\n  thresholds: {low: 1}\n", line: 3, column: 16, contains: "unknown key 'low'")
        assertProfileError("version: 1\nincidents:\n  max_open: 0\n", line: 3, column: 13, contains: "'max_open' must be between 1 and 100000")
        assertProfileError("version: 1\nincidents: [a]\n", line: 2, column: 12, contains: "'incidents' must be a mapping")
    }
}
