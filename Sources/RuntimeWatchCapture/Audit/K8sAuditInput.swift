// SPDX-License-Identifier: Apache-2.0
// Kubernetes API-server audit events as a capture source: batches posted by the API server's audit
// webhook backend (the HTTP route hands each body here), decoded item by item into the capture queue.
// A malformed item is skipped alone and reported with its position; a batch the queue cannot take
// whole is refused whole (503), so the API server retries it and no acknowledged item is ever lost.

import Logging
import RuntimeWatchCore

public struct K8sAuditInput: Sendable {
    let queue: CaptureQueue
    let logger: Logger
    let metrics: K8sAuditIngestMetrics
    /// What a 503 asks the sender to wait before retrying.
    public var retryAfterSeconds = 1

    public init(queue: CaptureQueue, logger: Logger, metrics: K8sAuditIngestMetrics) {
        self.queue = queue
        self.logger = logger
        self.metrics = metrics
    }

    /// Decodes a posted body (an `EventList` or a single `Event`) and queues its events.
    public func ingest(body: [UInt8]) -> K8sAuditIngestOutcome {
        let decoded: AuditDecodeResult
        do {
            decoded = try AuditEventDecoder.decodeDocument(body)
        } catch {
            logger.warning("k8s-audit: refused batch: \(error)")
            metrics.countMalformed(1)
            return .refused(reason: "\(error)")
        }
        var malformed = decoded.issues.map { K8sAuditIngestSummary.Malformed(position: $0.position, reason: $0.reason) }
        var records: [EventRecord] = []
        var events: [AuditEvent] = []
        for (i, e) in decoded.events.enumerated() {
            do {
                records.append(try AuditEventDecoder.record(e, position: "auditID \(e.auditID)"))
                events.append(e)
            } catch {
                malformed.append(.init(position: "event \(i)", reason: error.reason))
            }
        }
        guard records.isEmpty || queue.pushAll(records) else {
            logger.notice("k8s-audit: pipeline busy, batch of \(records.count) events refused with 503 (the sender retries)")
            return .busy(retryAfterSeconds: retryAfterSeconds)
        }
        for m in malformed { logger.warning("k8s-audit: skipped \(m.position): \(m.reason)") }
        metrics.count(events)
        metrics.countMalformed(malformed.count)
        return .accepted(K8sAuditIngestSummary(
            received: decoded.events.count + decoded.issues.count, accepted: records.count,
            skippedStages: events.filter { !AuditStagePolicy.shouldEvaluate($0) }.count,
            malformed: malformed, dropped: 0))
    }
}
