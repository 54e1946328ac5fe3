// SPDX-License-Identifier: Apache-2.0
// POST /k8s-audit: the API server's audit webhook backend sends `EventList` batches here. Each item
// is decoded on its own; a malformed item is reported (batch position and reason) in the response
// body and the log, and skipped, and the rest is handed to the pipeline. A body that is not JSON
// is refused with 400. The API server retries non-2xx batches, so only undecodable bodies fail.

import Foundation
import Logging
import RuntimeWatchCore

public enum K8sAuditRoute {
    public static let path = "/k8s-audit"

    /// What the route answers with status 200 (JSON body).
    public struct Summary: Sendable, Codable, Equatable {
        /// Items in the batch (decoded and malformed).
        public var received: Int
        /// Events handed to the pipeline.
        public var accepted: Int
        /// Of those, events the rules skip by stage (early stages of ordinary requests).
        public var skippedStages: Int
        /// Items not accepted: position (`items[3]`) and reason.
        public var malformed: [Malformed]
        /// Events the pipeline queue refused (it was full).
        public var dropped: Int

        public struct Malformed: Sendable, Codable, Equatable {
            public var position: String
            public var reason: String
        }

        enum CodingKeys: String, CodingKey {
            case received, accepted, malformed, dropped
            case skippedStages = "skipped_stages"
        }
    }

    /// The route registration for `ServiceListener`.
    /// - Parameter ingest: receives the batch's records in order and returns how many it queued.
    public static func registration(maxBodyBytes: Int = 32 << 20, logger: Logger, metrics: K8sAuditIngestMetrics? = nil,
                                    ingest: @escaping @Sendable ([EventRecord]) -> Int) -> RouteRegistration {
        RouteRegistration(method: .post, path: path, maxBodyBytes: maxBodyBytes) { request in
            handle(body: request.body, logger: logger, metrics: metrics, ingest: ingest)
        }
    }

    /// Decodes a batch and hands it on; see the type's description for the contract.
    public static func handle(body: [UInt8], logger: Logger, metrics: K8sAuditIngestMetrics?,
                              ingest: ([EventRecord]) -> Int) -> RouteResponse {
        let decoded: AuditDecodeResult
        do {
            decoded = try AuditEventDecoder.decodeDocument(body)
        } catch {
            logger.warning("k8s-audit: refused batch: \(error)")
            metrics?.countMalformed(1)
            return RouteResponse(status: 400, body: json(["error": "\(error)"]), contentType: "application/json")
        }
        var malformed = decoded.issues.map { Summary.Malformed(position: $0.position, reason: $0.reason) }
        var records: [EventRecord] = []
        var events: [AuditEvent] = []
        for (i, e) in decoded.events.enumerated() {
            do {
                records.append(try AuditEventDecoder.record(e, position: "auditID \(e.auditID)"))
                events.append(e)
            } catch {
                malformed.append(Summary.Malformed(position: "event \(i)", reason: error.reason))
            }
        }
        for m in malformed { logger.warning("k8s-audit: skipped \(m.position): \(m.reason)") }
        metrics?.count(events)
        metrics?.countMalformed(malformed.count)
        let queued = records.isEmpty ? 0 : ingest(records)
        let summary = Summary(received: decoded.events.count + decoded.issues.count, accepted: queued,
                              skippedStages: events.filter { !AuditStagePolicy.shouldEvaluate($0) }.count,
                              malformed: malformed, dropped: records.count - queued)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = (try? encoder.encode(summary)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return RouteResponse(status: 200, body: text + "\n", contentType: "application/json")
    }

    private static func json(_ object: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ((try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}") + "\n"
    }
}
