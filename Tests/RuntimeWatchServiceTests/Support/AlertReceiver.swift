// SPDX-License-Identifier: Apache-2.0
// A stand-in for falcosidekick: a real HTTP server on 127.0.0.1 (our ServiceListener, so a
// Hummingbird app) whose POST / answers are scripted by the test and whose requests are recorded.

import Foundation
import Logging
import RuntimeWatchCore
import RuntimeWatchService

struct ReceivedRequest: Sendable {
    var path: String
    var contentType: String?
    var body: [UInt8]
    /// Number of this request at the receiver, from 1.
    var sequence: Int
    var answeredStatus: Int
}

/// Records every POST / and answers with `respond(sequence, body)`.
final class AlertReceiver: Sendable {
    typealias Responder = @Sendable (_ sequence: Int, _ body: [UInt8]) async -> RouteResponse
    private let requests = Locked<[ReceivedRequest]>([])
    private let counter = Locked(0)
    private let listener: ServiceListener

    /// Builds (does not start) a receiver on 127.0.0.1:`port`; 0 picks a free port.
    init(port: Int = 0, respond: @escaping Responder = { _, _ in RouteResponse(status: 200, body: "ok") }) throws {
        let requests = self.requests
        let counter = self.counter
        let route = RouteRegistration(method: .post, path: "/") { request in
            let sequence = counter.withLock { $0 += 1; return $0 }
            let answer = await respond(sequence, request.body)
            requests.withLock {
                $0.append(ReceivedRequest(path: request.path, contentType: request.header("content-type"),
                                          body: request.body, sequence: sequence, answeredStatus: answer.status))
            }
            return answer
        }
        var logger = Logger(label: "test.receiver")
        logger.logLevel = .error
        listener = try ServiceListener(address: ListenAddress(host: "127.0.0.1", port: port), health: HealthState(),
                                       metrics: PrometheusMetrics(), routes: [route], logger: logger)
    }

    /// Starts listening; returns the port.
    func start() async throws -> Int { try await listener.start(timeout: .seconds(5)) }

    func stop() async { await listener.stop(gracePeriod: .seconds(2)) }

    /// Requests whose handler has returned, in completion order.
    var received: [ReceivedRequest] { requests.withLock { $0 } }

    /// Requests that reached the handler (including ones still being answered).
    var arrivals: Int { counter.withLock { $0 } }

    /// Bodies the receiver answered 2xx to, decoded as alerts, in completion order.
    func acceptedAlerts() throws -> [Alert] {
        try received.filter { (200..<300).contains($0.answeredStatus) }.map {
            try JSONDecoder().decode(Alert.self, from: Data($0.body))
        }
    }
}
