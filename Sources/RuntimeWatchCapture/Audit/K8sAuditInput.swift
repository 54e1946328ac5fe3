// SPDX-License-Identifier: Apache-2.0
// Kubernetes API-server audit events as a capture source: batches posted by the API server's audit
// webhook backend (the HTTP route hands each body here), decoded item by item into the capture queue.
// A malformed item is skipped alone and reported with its position; a batch the queue cannot take
// whole is refused whole (503), so the API server retries it and no acknowledged item is ever lost.

import Logging
import RuntimeWatchCore
import Synchronization

public struct K8sAuditInput: Sendable {
    let queue: CaptureQueue
    let logger: Logger
    let metrics: K8sAuditIngestMetrics
    /// What a 503 asks the sender to wait before retrying.
    public var retryAfterSeconds = 1
    /// One log line per second at most for refused batches: a flood refused batch by batch wrote
    /// one line each (10,710 lines in 25 s).
    private let busyLog = RefusalLog()
    private let oversizeLog = RefusalLog()
    /// One body decoded at a time: decoding amplifies a body several times over (a 30 MB batch
    /// takes about 100 MB while it is decoded), and the listener's body budget (64 MiB) lets two
    /// such bodies in at once; 16 concurrent 30 MB POSTs peaked at 255 MiB without this.
    private let decoding = OneAtATime()

    public init(queue: CaptureQueue, logger: Logger, metrics: K8sAuditIngestMetrics) {
        self.queue = queue
        self.logger = logger
        self.metrics = metrics
    }

    /// Decodes a posted body (an `EventList` or a single `Event`) and queues its events.
    public func ingest(body: [UInt8]) -> K8sAuditIngestOutcome {
        if queue.isFullForBatches { return refuseBusy(events: 0) }
        return decoding.run { ingestDecoding(body) }
    }

    private func ingestDecoding(_ body: [UInt8]) -> K8sAuditIngestOutcome {
        // Checked again: the queue may have filled while this body waited for its turn.
        if queue.isFullForBatches { return refuseBusy(events: 0) }
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
        // Refused for good, not "busy": a 503 would have the sender retry a batch that never fits.
        guard records.count <= queue.batchCapacity else {
            oversizeLog.note(batchOf: records.count) { refused, events in
                logger.warning("k8s-audit: \(refused) batch(es), \(events) events, refused with 413 since the last line: a batch may hold at most \(queue.batchCapacity) events")
            }
            return .tooLarge(events: records.count, limit: queue.batchCapacity)
        }
        guard records.isEmpty || queue.pushAll(records) else { return refuseBusy(events: records.count) }
        for m in malformed { logger.warning("k8s-audit: skipped \(m.position): \(m.reason)") }
        metrics.count(events)
        metrics.countMalformed(malformed.count)
        return .accepted(K8sAuditIngestSummary(
            received: decoded.events.count + decoded.issues.count, accepted: records.count,
            skippedStages: events.filter { !AuditStagePolicy.shouldEvaluate($0) }.count,
            malformed: malformed, dropped: 0))
    }

    /// A 503 the sender retries; `events` is 0 when the body was refused before it was decoded.
    private func refuseBusy(events: Int) -> K8sAuditIngestOutcome {
        let why = queue.isRefusingBatches ? "monitor stopping" : "pipeline busy"
        busyLog.note(batchOf: events) { refused, events in
            logger.notice("k8s-audit: \(why): \(refused) batch(es), \(events) decoded events, refused with 503 since the last line (the sender retries)")
        }
        return .busy(retryAfterSeconds: retryAfterSeconds)
    }
}

/// A lock a struct can hold (Mutex is not copyable).
final class OneAtATime: Sendable {
    private let lock = Mutex(())
    func run<T>(_ body: () -> T) -> T { lock.withLock { _ in body() } }
}

/// Counts refused batches and lets them be logged at most once a second, with the counts since the
/// last line.
final class RefusalLog: Sendable {
    private struct Pending { var lastLine: ContinuousClock.Instant?; var batches = 0; var events = 0 }
    private let pending = Mutex(Pending())

    /// Counts one refused batch of `events`; calls `log` with the counts when a line is due.
    func note(batchOf events: Int, _ log: (_ batches: Int, _ events: Int) -> Void) {
        let now = ContinuousClock.now
        let due = pending.withLock { p -> (Int, Int)? in
            p.batches += 1
            p.events += events
            if let last = p.lastLine, now - last < .seconds(1) { return nil }
            defer { p = Pending(lastLine: now) }
            return (p.batches, p.events)
        }
        if let (batches, events) = due { log(batches, events) }
    }
}
