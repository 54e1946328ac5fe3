// SPDX-License-Identifier: Apache-2.0
// POST /k8s-audit over real loopback HTTP with the real /usr/bin/curl: an EventList batch reaches
// the engine and alerts; a malformed item is reported with its batch position and reason (in the
// response and the log) and the rest of the batch is processed; a non-JSON body gets 400.

import Foundation
import Logging
import RuntimeWatchCore
import RuntimeWatchCapture
import RuntimeWatchService
import XCTest

final class K8sAuditWebhookTests: XCTestCase {
    static let listSecrets = #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/secrets?limit=500","verb":"list","user":{"username":"kubernetes-admin","groups":["system:masters","system:authenticated"]},"sourceIPs":["192.0.2.10"],"userAgent":"kubectl/v1.31.2","objectRef":{"resource":"secrets","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-20T09:00:00.100000Z","stageTimestamp":"2026-11-20T09:00:00.102300Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}"#
    static let broken = #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a2","stage":"ResponseComplete","verb":"get","user":{"username":"x"},"stageTimestamp":"2026-11-20T09:00:01.000000Z"}"#
    static let exec = #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a3","stage":"RequestReceived","requestURI":"/api/v1/namespaces/prod/pods/web-0/exec?command=%2Fbin%2Fbash&container=web&stdin=true&stdout=true&tty=true","verb":"create","user":{"username":"oidc:alice@example.com"},"sourceIPs":["192.0.2.11"],"userAgent":"kubectl/v1.31.2","objectRef":{"resource":"pods","namespace":"prod","name":"web-0","subresource":"exec","apiVersion":"v1"},"requestReceivedTimestamp":"2026-11-20T09:00:02.000000Z","stageTimestamp":"2026-11-20T09:00:02.000000Z"}"#
    static let leaseEarly = #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a4","stage":"RequestReceived","requestURI":"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1","verb":"update","user":{"username":"system:node:node-1","groups":["system:nodes"]},"objectRef":{"resource":"leases","namespace":"kube-node-lease","name":"node-1","apiGroup":"coordination.k8s.io","apiVersion":"v1"},"requestReceivedTimestamp":"2026-11-20T09:00:03.000000Z","stageTimestamp":"2026-11-20T09:00:03.000000Z"}"#

    /// The monitor behind the route: capture's audit input into a capture queue, drained by the
    /// drive loop into the engine.
    final class Pipeline: @unchecked Sendable {
        let sink = InMemoryAlertSink()
        let queue: CaptureQueue
        let input: K8sAuditInput
        private let engine: Engine
        init(capacity: Int = 1024, batchCapacity: Int? = nil, metrics: K8sAuditIngestMetrics, logger: Logger) throws {
            engine = Engine(configuration: EngineConfiguration(hostname: "node-1"), detectors: BuiltinDetectors.make(),
                            profile: try ProfileLoader().embeddedDefault(), sink: sink)
            queue = CaptureQueue(capacity: capacity, batchCapacity: batchCapacity)
            input = K8sAuditInput(queue: queue, logger: logger, metrics: metrics)
        }
        /// Ends the input and runs everything queued through the engine.
        func drain() async throws {
            queue.finish()
            var loop = DriveLoop(engine: engine)
            try await loop.run(QueueSource(queue: queue))
        }
    }



    /// Runs /usr/bin/curl (bounded by --max-time) and returns (HTTP status, body).
    func curl(port: Int, body: String) throws -> (Int, String) {
        let (status, text, _) = try curlWithHeaders(port: port, body: body)
        return (status, text)
    }

    func testEventListPostedWithCurlAlertsAndReportsTheMalformedItem() async throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs /usr/bin/curl (apt-get install curl)")
        let logs = LogCapture()
        let prometheus = PrometheusMetrics()
        let pipeline = try Pipeline(metrics: K8sAuditIngestMetrics(source: "webhook", factory: prometheus.factory), logger: logs.logger())
        let route = K8sAuditRoute.registration { [input = pipeline.input] in input.ingest(body: $0) }
        let listener = try ServiceListener(address: ListenAddress(host: "127.0.0.1", port: 0), health: HealthState(),
                                           metrics: prometheus, routes: [route], logger: Logger(label: "test"))
        let port = try await listener.start()
        do {
            let batch = #"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":["#
                + [Self.listSecrets, Self.broken, Self.exec, Self.leaseEarly].joined(separator: ",") + "]}"
            let (status, body) = try curl(port: port, body: batch)
            XCTAssertEqual(status, 200, body)
            let summary = try JSONDecoder().decode(K8sAuditIngestSummary.self, from: Data(body.utf8))
            XCTAssertEqual(summary.received, 4)
            XCTAssertEqual(summary.accepted, 3)
            XCTAssertEqual(summary.skippedStages, 1, "the lease update's RequestReceived")
            XCTAssertEqual(summary.malformed.map(\.position), ["items[1]"])
            XCTAssertTrue(summary.malformed[0].reason.contains("requestURI"), summary.malformed[0].reason)
            XCTAssertTrue(logs.lines.contains { $0.message.contains("items[1]") && $0.level == .warning })

            let (badStatus, badBody) = try curl(port: port, body: "this is not JSON")
            XCTAssertEqual(badStatus, 400)
            XCTAssertTrue(badBody.contains("not valid JSON"), badBody)

            try await pipeline.drain()
            XCTAssertEqual(pipeline.sink.alerts.map(\.ruleID), ["k8s-secrets-listed-all-namespaces", "k8s-pod-exec"])
            XCTAssertEqual(pipeline.sink.alerts.map { $0.fields["ka.auditid"] }, [.string("a1"), .string("a3")])
            XCTAssertEqual(pipeline.sink.alerts[1].fields["ka.exec.command"], .string("/bin/bash"))
            XCTAssertEqual(pipeline.sink.alerts.count, 2)

            let metrics = prometheus.render()
            XCTAssertTrue(metrics.contains(#"runtime_watch_k8s_audit_events_total{source="webhook",stage="RequestReceived"} 2"#), metrics)
            XCTAssertTrue(metrics.contains(#"runtime_watch_k8s_audit_malformed_total{source="webhook"} 2"#), metrics)
            XCTAssertTrue(metrics.contains(#"runtime_watch_k8s_audit_skipped_total{source="webhook"} 1"#), metrics)
        } catch {
            await listener.stop()
            throw error
        }
        await listener.stop()
    }

    /// A batch the capture queue cannot take whole is refused whole with 503 and Retry-After (the
    /// API server retries it), nothing of it is queued or counted as lost; a batch that fits is taken.
    func testBatchThatDoesNotFitIsRefusedWith503AndNothingIsQueued() async throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs /usr/bin/curl (apt-get install curl)")
        let logs = LogCapture()
        let pipeline = try Pipeline(capacity: 3, metrics: K8sAuditIngestMetrics(source: "webhook", factory: PrometheusMetrics().factory),
                                    logger: logs.logger())
        let route = K8sAuditRoute.registration { [input = pipeline.input] in input.ingest(body: $0) }
        let listener = try ServiceListener(address: ListenAddress(host: "127.0.0.1", port: 0), health: HealthState(),
                                           metrics: PrometheusMetrics(), routes: [route], logger: Logger(label: "test"))
        let port = try await listener.start()
        do {
            func batch(_ items: [String]) -> String {
                #"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":["# + items.joined(separator: ",") + "]}"
            }
            let (firstStatus, firstBody) = try curl(port: port, body: batch([Self.listSecrets, Self.exec]))
            XCTAssertEqual(firstStatus, 200, firstBody)
            let (status, body, headers) = try curlWithHeaders(port: port, body: batch([Self.listSecrets, Self.exec, Self.leaseEarly]))
            XCTAssertEqual(status, 503, body)
            XCTAssertTrue(headers.lowercased().contains("retry-after: 1"), headers)
            XCTAssertEqual(pipeline.queue.losses, [:], "a refused batch is not a loss: the sender retries it")
            try await pipeline.drain()
            XCTAssertEqual(pipeline.sink.alerts.map { $0.fields["ka.auditid"] }, [.string("a1"), .string("a3")],
                           "only the batch that was acknowledged reached the engine")
        } catch {
            await listener.stop()
            throw error
        }
        await listener.stop()
    }

    /// A batch of more events than one batch may ever queue gets 413 at once, not a 503 the sender
    /// would retry forever; a batch within the share is taken.
    func testBatchLargerThanABatchMayEverQueueIsRefusedWith413() async throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs /usr/bin/curl (apt-get install curl)")
        let pipeline = try Pipeline(capacity: 8, batchCapacity: 2, metrics: K8sAuditIngestMetrics(source: "webhook", factory: PrometheusMetrics().factory),
                                    logger: LogCapture().logger())
        let route = K8sAuditRoute.registration { [input = pipeline.input] in input.ingest(body: $0) }
        let listener = try ServiceListener(address: ListenAddress(host: "127.0.0.1", port: 0), health: HealthState(),
                                           metrics: PrometheusMetrics(), routes: [route], logger: Logger(label: "test"))
        let port = try await listener.start()
        do {
            func batch(_ items: [String]) -> String {
                #"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":["# + items.joined(separator: ",") + "]}"
            }
            let (status, body, headers) = try curlWithHeaders(port: port, body: batch([Self.listSecrets, Self.exec, Self.leaseEarly]))
            XCTAssertEqual(status, 413, body)
            XCTAssertTrue(body.contains("batch of 3 audit events is more than the 2 one batch may queue"), body)
            XCTAssertFalse(headers.lowercased().contains("retry-after"), headers)
            let (okStatus, okBody) = try curl(port: port, body: batch([Self.listSecrets, Self.exec]))
            XCTAssertEqual(okStatus, 200, okBody)
            try await pipeline.drain()
            XCTAssertEqual(pipeline.sink.alerts.map { $0.fields["ka.auditid"] }, [.string("a1"), .string("a3")])
        } catch {
            await listener.stop()
            throw error
        }
        await listener.stop()
    }

    /// POSTs `body` with /usr/bin/curl (bounded by --max-time): (HTTP status, body, response headers).
    func curlWithHeaders(port: Int, body: String) throws -> (Int, String, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("k8s-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bodyFile = dir.appendingPathComponent("body.json")
        let outFile = dir.appendingPathComponent("out")
        let headerFile = dir.appendingPathComponent("headers")
        try body.write(to: bodyFile, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "--max-time", "10", "-o", outFile.path, "-D", headerFile.path, "-w", "%{http_code}", "-X", "POST",
                             "-H", "Content-Type: application/json", "--data-binary", "@" + bodyFile.path,
                             "http://127.0.0.1:\(port)/k8s-audit"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "curl failed")
        let status = Int(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) ?? -1
        return (status, (try? String(contentsOf: outFile, encoding: .utf8)) ?? "", (try? String(contentsOf: headerFile, encoding: .utf8)) ?? "")
    }
}
