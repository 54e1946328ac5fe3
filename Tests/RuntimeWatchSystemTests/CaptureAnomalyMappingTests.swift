// SPDX-License-Identifier: Apache-2.0
// Which running total of each source becomes which `runtime_watch_capture_anomalies_total` kind:
// every field is given a different value, so a field mapped to the wrong kind (or to none) shows.

import XCTest
@testable import RuntimeWatchCapture
import RuntimeWatchCore

final class CaptureAnomalyMappingTests: XCTestCase {
    private func totals(_ anomalies: [CaptureAnomaly]) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for a in anomalies {
            XCTAssertNil(out["\(a.source)/\(a.kind)"], "\(a.source)/\(a.kind) listed twice")
            out["\(a.source)/\(a.kind)"] = a.total
        }
        return out
    }

    func testProcConnectorTotals() {
        var s = CaptureStatistics()
        s.malformedDatagrams = 1; s.receiveErrors = 2; s.procReadIssues = 3; s.resyncs = 4; s.lateEvents = 5
        s.threadEventsFiltered = 99; s.overflows = 98   // filtering is normal; overflows are drops
        XCTAssertEqual(totals(LiveCapture.anomalies(of: s)), [
            "proc_connector/malformed_datagram": 1, "proc_connector/receive_error": 2,
            "proc_connector/proc_file_issue": 3, "proc_connector/resync": 4, "proc_connector/late_event": 5,
        ])
    }

    func testTokenWatchTotals() {
        var c = TokenWatchCounters()
        c.watchdogAnswers = 1; c.answerFailures = 2; c.captureIncomplete = 3; c.captureOutOfBudget = 4; c.captureSkipped = 5
        c.dropped = 99; c.kernelOverflows = 98; c.events = 97   // losses are drops; events are events
        XCTAssertEqual(totals(LiveCapture.anomalies(of: c)), [
            "fanotify/watchdog_answer": 1, "fanotify/answer_failure": 2,
            "fanotify/opener_unreadable": 3, "fanotify/opener_read_out_of_budget": 9,
        ])
    }

    func testConnectTotals() {
        var s = ConnectCaptureStatistics()
        s.malformedRecords = 1; s.protocolUnknown = 2; s.assembler.withoutAddress = 3; s.assembler.evicted = 4
        s.streamDrops = 99; s.socketOverruns = 98; s.assembler.nonInet = 97
        XCTAssertEqual(totals(LiveCapture.anomalies(of: s)), [
            "connect/malformed_record": 1, "connect/socket_type_unknown": 2,
            "connect/connect_without_address": 3, "connect/pending_record_evicted": 4,
        ])
    }
}
