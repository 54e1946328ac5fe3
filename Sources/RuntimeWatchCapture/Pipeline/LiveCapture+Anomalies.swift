// SPDX-License-Identifier: Apache-2.0
// The anomaly totals of every running source, for `runtime_watch_capture_anomalies_total`
// (`CaptureAnomalyMetrics`). Losses are not here: they reach the engine as drop events.

import RuntimeWatchCore

extension LiveCapture {
    /// Each source's running totals of what it met that did not decode or needed a fallback.
    public var anomalies: [CaptureAnomaly] {
        var out = Self.anomalies(of: processes.counters.snapshot())
        if let tokens { out += Self.anomalies(of: tokens.counters) }
        if let connects { out += Self.anomalies(of: connects.statistics) }
        return out
    }

    static func anomalies(of s: CaptureStatistics) -> [CaptureAnomaly] {
        let source = CaptureSource.procConnector
        return [
            CaptureAnomaly(source: source, kind: "malformed_datagram", total: s.malformedDatagrams),
            CaptureAnomaly(source: source, kind: "receive_error", total: s.receiveErrors),
            CaptureAnomaly(source: source, kind: "proc_file_issue", total: s.procReadIssues),
            CaptureAnomaly(source: source, kind: "resync", total: s.resyncs),
            CaptureAnomaly(source: source, kind: "late_event", total: s.lateEvents),
        ]
    }

    static func anomalies(of c: TokenWatchCounters) -> [CaptureAnomaly] {
        let source = CaptureSource.fanotify
        return [
            CaptureAnomaly(source: source, kind: "watchdog_answer", total: c.watchdogAnswers),
            CaptureAnomaly(source: source, kind: "answer_failure", total: c.answerFailures),
            CaptureAnomaly(source: source, kind: "opener_unreadable", total: c.captureIncomplete),
            CaptureAnomaly(source: source, kind: "opener_read_out_of_budget", total: c.captureOutOfBudget + c.captureSkipped),
        ]
    }

    static func anomalies(of s: ConnectCaptureStatistics) -> [CaptureAnomaly] {
        let source = CaptureSource.connect
        return [
            CaptureAnomaly(source: source, kind: "malformed_record", total: s.malformedRecords),
            CaptureAnomaly(source: source, kind: "socket_type_unknown", total: s.protocolUnknown),
            CaptureAnomaly(source: source, kind: "connect_without_address", total: s.assembler.withoutAddress),
            CaptureAnomaly(source: source, kind: "pending_record_evicted", total: s.assembler.evicted),
        ]
    }
}
