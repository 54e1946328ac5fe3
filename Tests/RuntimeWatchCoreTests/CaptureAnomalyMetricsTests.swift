// SPDX-License-Identifier: Apache-2.0
// Capture anomaly totals become counters that go up by what each total grew.

import XCTest
@testable import RuntimeWatchCore

final class CaptureAnomalyMetricsTests: XCTestCase {
    private let label = CaptureAnomalyMetrics.label

    func testCountersStartAtZeroAndGrowByWhatTheTotalsGrew() {
        let metrics = RecordingMetrics()
        let publisher = CaptureAnomalyMetrics(factory: metrics)
        publisher.publish([CaptureAnomaly(source: "proc_connector", kind: "malformed_datagram", total: 0),
                           CaptureAnomaly(source: "connect", kind: "malformed_record", total: 2)])
        XCTAssertEqual(metrics.counter(label, [("source", "proc_connector"), ("kind", "malformed_datagram")]), 0)
        XCTAssertEqual(metrics.counter(label, [("source", "connect"), ("kind", "malformed_record")]), 2)
        publisher.publish([CaptureAnomaly(source: "proc_connector", kind: "malformed_datagram", total: 3),
                           CaptureAnomaly(source: "connect", kind: "malformed_record", total: 2)])
        publisher.publish([CaptureAnomaly(source: "proc_connector", kind: "malformed_datagram", total: 5),
                           CaptureAnomaly(source: "connect", kind: "malformed_record", total: 9)])
        XCTAssertEqual(metrics.counter(label, [("source", "proc_connector"), ("kind", "malformed_datagram")]), 5)
        XCTAssertEqual(metrics.counter(label, [("source", "connect"), ("kind", "malformed_record")]), 9)
    }

    func testATotalThatFellIsANewStartAndTheCounterNeverGoesDown() {
        let metrics = RecordingMetrics()
        let publisher = CaptureAnomalyMetrics(factory: metrics)
        publisher.publish([CaptureAnomaly(source: "fanotify", kind: "watchdog_answer", total: 4)])
        publisher.publish([CaptureAnomaly(source: "fanotify", kind: "watchdog_answer", total: 1)])
        publisher.publish([CaptureAnomaly(source: "fanotify", kind: "watchdog_answer", total: 3)])
        XCTAssertEqual(metrics.counter(label, [("source", "fanotify"), ("kind", "watchdog_answer")]), 7)
    }
}
