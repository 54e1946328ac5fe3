// SPDX-License-Identifier: Apache-2.0
// POST /k8s-audit: the API server's audit webhook backend sends `EventList` batches here. The route
// only hands the body to capture (`K8sAuditInput`) and answers for what happened to it: 200 with a
// JSON summary (malformed items listed by position and reason), 400 for a body that is not an audit
// document, 413 for a batch of more events than one batch may ever queue, 503 with Retry-After when the pipeline cannot take the batch now (the API server retries
// non-2xx batches, so nothing acknowledged is ever lost).

import Foundation
import RuntimeWatchCore

public enum K8sAuditRoute {
    public static let path = "/k8s-audit"
    /// Largest body accepted by default (32 MiB); larger gets 413.
    public static let defaultMaxBodyBytes = 32 << 20

    /// The route registration for `ServiceListener`.
    /// - Parameter ingest: takes the posted body (capture's `K8sAuditInput.ingest`).
    public static func registration(maxBodyBytes: Int = defaultMaxBodyBytes,
                                    ingest: @escaping @Sendable ([UInt8]) -> K8sAuditIngestOutcome) -> RouteRegistration {
        RouteRegistration(method: .post, path: path, maxBodyBytes: maxBodyBytes) { request in
            response(for: ingest(request.body))
        }
    }

    /// The HTTP answer for an ingest outcome.
    public static func response(for outcome: K8sAuditIngestOutcome) -> RouteResponse {
        switch outcome {
        case .accepted(let summary):
            return RouteResponse(status: 200, body: json(summary), contentType: "application/json")
        case .refused(let reason):
            return RouteResponse(status: 400, body: json(["error": reason]), contentType: "application/json")
        case .busy(let seconds):
            return RouteResponse(status: 503, body: json(["error": "pipeline busy; retry the batch"]), contentType: "application/json",
                                 headers: [("Retry-After", "\(seconds)")])
        case .tooLarge(let events, let limit):
            return RouteResponse(status: 413, body: json(["error": "batch of \(events) audit events is more than the \(limit) one batch may queue; send smaller batches (--audit-webhook-batch-max-size) or raise --queue-capacity"]),
                                 contentType: "application/json")
        }
    }

    private static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ((try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}") + "\n"
    }
}
