// SPDX-License-Identifier: Apache-2.0
// Overfilling the capture queue: every event it refused is found, exactly, in the drop events the
// drive loop records into the trace, in `runtime_watch_drops_total{source,cause}` on /metrics (the
// Prometheus registry `/metrics` renders), and in the queue's own loss counts. No root needed.

import Foundation
import RuntimeWatchCore
import RuntimeWatchCapture
import RuntimeWatchService
import XCTest

final class CaptureQueueOverfillTests: XCTestCase {
    private func exec(_ pid: Int32, at time: UInt64) -> EventRecord {
        EventRecord(timestamp: time, event: .exec(RuntimeWatchCore.ProcessInfo(pid: ProcessID(pid), exe: "/bin/true", argv: ["/bin/true"])))
    }

    func testEveryRefusedEventIsInTheTraceAndInMetrics() async throws {
        let queue = CaptureQueue(capacity: 5)
        let processes = CaptureOutlet(queue: queue, source: "proc_connector")
        let tokens = CaptureOutlet(queue: queue, source: "fanotify")
        // Nobody reads yet: 5 fit, 7 + 3 are refused.
        for i in 0..<12 { processes.emit(exec(Int32(100 + i), at: 1_000 + UInt64(i))) }
        for i in 0..<3 { tokens.emit(exec(Int32(200 + i), at: 2_000 + UInt64(i))) }
        // A loss a source saw before the queue (a kernel overflow) is reported the same way.
        processes.lose(4, cause: "kernel_overflow", reason: "test: receive buffer overflow", time: 3_000)
        queue.finish()

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rw-overfill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let tracePath = dir.appendingPathComponent("trace.jsonl").path
        let writer = try TraceWriter(path: tracePath, header: TraceHeader(hostname: "node-1", kernel: "test", start: 0))
        let prometheus = PrometheusMetrics()
        let engine = Engine(configuration: EngineConfiguration(hostname: "node-1"), detectors: BuiltinDetectors.make(),
                            sink: InMemoryAlertSink(), metrics: prometheus.factory)
        var loop = DriveLoop(engine: engine, recorder: writer)
        try await loop.run(QueueSource(queue: queue))
        try writer.close()

        // The trace: drop events by source and cause, with the exact counts.
        var drops: [String: UInt64] = [:]
        var execs = 0
        let reader = try TraceReader(path: tracePath, onIssue: { XCTFail("\($0)") })
        while let record = try reader.next() {
            switch record.event {
            case .drop(let d): drops[d.key, default: 0] += d.count
            case .exec: execs += 1
            default: break
            }
        }
        XCTAssertEqual(execs, 5, "what fit was delivered")
        XCTAssertEqual(drops, ["proc_connector/queue_full": 7, "fanotify/queue_full": 3, "proc_connector/kernel_overflow": 4])
        XCTAssertEqual(queue.losses, drops, "the queue's own counts agree")
        XCTAssertEqual(loop.progress.lost, 14)

        // /metrics.
        let text = prometheus.render()
        XCTAssertTrue(text.contains(#"runtime_watch_drops_total{source="proc_connector",cause="queue_full"} 7"#), text)
        XCTAssertTrue(text.contains(#"runtime_watch_drops_total{source="fanotify",cause="queue_full"} 3"#), text)
        XCTAssertTrue(text.contains(#"runtime_watch_drops_total{source="proc_connector",cause="kernel_overflow"} 4"#), text)
    }

    /// Bounded in bytes as well as in events: execs with long command lines fill the byte budget
    /// long before the event capacity; what does not fit is dropped and counted like a full queue,
    /// small events still fit, and the room comes back once the consumer has moved on.
    func testTheQueueIsBoundedInBytesAndCountsWhatItRefuses() async throws {
        let queue = CaptureQueue(capacity: 1000, byteBudget: 100_000)
        func longExec(_ pid: Int32) -> EventRecord {
            EventRecord(timestamp: 1_000 + UInt64(pid), event: .exec(RuntimeWatchCore.ProcessInfo(
                pid: ProcessID(pid), exe: "/bin/sh", argv: ["sh", "-c", String(repeating: "x", count: 16_000)])))
        }
        let bytes = longExec(1).queuedBytes
        XCTAssertGreaterThan(bytes, 16_000)
        let fit = 100_000 / bytes
        for pid in 1...Int32(fit + 4) { XCTAssertEqual(queue.push(longExec(pid), from: "proc_connector"), Int(pid) <= fit, "exec \(pid)") }
        XCTAssertTrue(queue.push(exec(900, at: 5_000), from: "proc_connector"), "a small event still fits")
        XCTAssertEqual(queue.losses, ["proc_connector/queue_full": 4])
        XCTAssertFalse(queue.push(longExec(901), from: "proc_connector"), "no room for another long one")
        XCTAssertEqual(queue.losses, ["proc_connector/queue_full": 5])

        // The consumer takes everything (its batch in hand still counts against the budget)...
        let source = QueueSource(queue: queue)
        var execs = 0
        while execs < fit + 1, let item = try await source.next() {
            if case .event(let r) = item, case .exec = r.event { execs += 1 }
        }
        XCTAssertFalse(queue.push(longExec(902), from: "proc_connector"), "the batch in hand still holds its bytes")
        // ...until it asks for more: its next batch (one small event) replaces it, and there is room again.
        XCTAssertTrue(queue.push(exec(903, at: 6_000), from: "proc_connector"))
        _ = try await source.next()
        XCTAssertTrue(queue.push(longExec(904), from: "proc_connector"))
        XCTAssertEqual(queue.losses, ["proc_connector/queue_full": 6])
        queue.finish()
    }

    func testWebhookBatchesAreAllOrNothingAndControlItemsAreNeverRefused() async {
        let queue = CaptureQueue(capacity: 3)
        XCTAssertTrue(queue.pushAll([exec(1, at: 1), exec(2, at: 2)]))
        XCTAssertFalse(queue.pushAll([exec(3, at: 3), exec(4, at: 4)]), "two more do not fit in one slot")
        queue.pushControl(.reload)   // not counted against the capacity
        XCTAssertTrue(queue.push(exec(5, at: 5), from: "proc_connector"))
        XCTAssertFalse(queue.push(exec(6, at: 6), from: "proc_connector"))
        queue.finish()
        var seen: [String] = []
        while let item = await queue.next() {
            switch item {
            case .event(let r):
                if case .exec(let p) = r.event { seen.append("exec \(p.pid.rawValue)") }
                if case .drop(let d) = r.event { seen.append("drop \(d.key) \(d.count)") }
            case .reload: seen.append("reload")
            case .tick: seen.append("tick")
            }
        }
        XCTAssertEqual(seen, ["drop proc_connector/queue_full 1", "exec 1", "exec 2", "reload", "exec 5"])
        XCTAssertEqual(queue.losses, ["proc_connector/queue_full": 1], "a refused batch is not a loss: its sender retries it")
    }

    /// Webhook batches fill at most `batchCapacity` (the rest is the kernel sources'); once the monitor
    /// stops, every batch is refused; what a bounded stop leaves queued is dropped and counted once,
    /// reported ahead of the end, and control items stay.
    func testBatchShareRefusalAtStopAndTheCountedDropOfWhatIsLeft() async {
        let queue = CaptureQueue(capacity: 8, batchCapacity: 4)
        XCTAssertTrue(queue.pushAll([exec(1, at: 1), exec(2, at: 2), exec(3, at: 3)]))
        XCTAssertFalse(queue.pushAll([exec(4, at: 4), exec(5, at: 5)]), "past the batch share")
        XCTAssertTrue(queue.push(exec(6, at: 6), from: "proc_connector"), "the kernel sources keep the rest")
        queue.refuseBatches()
        XCTAssertFalse(queue.pushAll([exec(7, at: 7)]), "refused once stopping, though it fits")
        XCTAssertTrue(queue.push(exec(8, at: 8), from: "proc_connector"), "capture threads queue until finish")
        queue.pushControl(.tick(at: 9))
        queue.finish()
        XCTAssertEqual(queue.queuedEventCount, 5)
        XCTAssertEqual(queue.dropQueued(cause: "unprocessed_at_stop", reason: "r", time: 9), 5)
        var seen: [String] = []
        while let item = await queue.next() {
            switch item {
            case .event(let r):
                if case .drop(let d) = r.event { seen.append("drop \(d.key) \(d.count)") } else { seen.append("event") }
            case .reload: seen.append("reload")
            case .tick: seen.append("tick")
            }
        }
        XCTAssertEqual(seen, ["drop proc_connector/unprocessed_at_stop 5", "tick"], "counted under each event's own source")
        XCTAssertEqual(queue.losses, ["proc_connector/unprocessed_at_stop": 5])
    }

    /// A file follower waits for room instead of dropping: a queue of 2 and 60 lines, all delivered.
    func testAuditLogFollowerWaitsForRoomAndLosesNothing() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rw-follow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("audit.log")
        let lines = (0..<60).map { i in
            #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"id-\#(i)","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list","user":{"username":"system:node:n"},"objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-11-20T09:00:00.000000Z","stageTimestamp":"2026-11-20T09:00:00.000000Z"}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(to: log, atomically: true, encoding: .utf8)
        var configuration = K8sAuditLogFollower.Configuration()
        configuration.stopAtEnd = true
        let follower = K8sAuditLogFollower(path: log.path, configuration: configuration)
        let queue = CaptureQueue(capacity: 2)
        follower.start(outlet: CaptureOutlet(queue: queue, source: "k8s_audit"), ownsQueue: true, onIssue: { XCTFail("\($0)") })
        var ids: [String] = []
        while let item = await queue.next() {
            if case .event(let r) = item, case .k8sAudit(let e) = r.event { ids.append(e.auditID) }
            try await Task.sleep(nanoseconds: 1_000_000)   // a slow consumer
        }
        XCTAssertEqual(ids, (0..<60).map { "id-\($0)" })
        XCTAssertEqual(queue.losses, [:])
    }
}

/// A capture queue as a source (what LiveCapture is, without the host's sources).
final class QueueSource: EventSource {
    let queue: CaptureQueue
    let name = "queue"
    init(queue: CaptureQueue) { self.queue = queue }
    func next() async -> SourceItem? { await queue.next() }
    func stop() { queue.finish() }
    var health: SourceHealth { SourceHealth(losses: queue.losses) }
}
