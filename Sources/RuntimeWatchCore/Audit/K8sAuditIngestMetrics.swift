// SPDX-License-Identifier: Apache-2.0
// Counters for audit events as they enter the pipeline (webhook or log file): by stage, how many
// the rules skip (early stages of ordinary requests), and how many items were malformed.

import CoreMetrics

/// `runtime_watch_k8s_audit_events_total{source,stage}`, `runtime_watch_k8s_audit_skipped_total{source}`,
/// `runtime_watch_k8s_audit_malformed_total{source}`. `source` is `webhook` or `file`.
public struct K8sAuditIngestMetrics: Sendable {
    public static let events = "runtime_watch_k8s_audit_events_total"
    public static let skipped = "runtime_watch_k8s_audit_skipped_total"
    public static let malformed = "runtime_watch_k8s_audit_malformed_total"

    private let factory: any MetricsFactory
    public let source: String

    public init(source: String, factory: any MetricsFactory = MetricsSystem.factory) {
        self.source = source
        self.factory = factory
    }

    /// Counts decoded events by stage and those the stage policy skips.
    public func count(_ events: [AuditEvent]) {
        var byStage: [String: Int64] = [:]
        var skipped: Int64 = 0
        for e in events {
            byStage[e.stage, default: 0] += 1
            if !AuditStagePolicy.shouldEvaluate(e) { skipped += 1 }
        }
        for (stage, n) in byStage.sorted(by: { $0.key < $1.key }) {
            Counter(label: Self.events, dimensions: [("source", source), ("stage", stage)], factory: factory).increment(by: n)
        }
        if skipped > 0 { Counter(label: Self.skipped, dimensions: [("source", source)], factory: factory).increment(by: skipped) }
    }

    /// Counts malformed items (skipped, reported).
    public func countMalformed(_ n: Int) {
        guard n > 0 else { return }
        Counter(label: Self.malformed, dimensions: [("source", source)], factory: factory).increment(by: Int64(n))
    }
}
