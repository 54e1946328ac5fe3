// SPDX-License-Identifier: Apache-2.0
// The health/metrics listener over real loopback HTTP: readiness answers, Prometheus text from an
// injected (non-global) factory, extra routes, port-in-use errors and bounded stop.

import CoreMetrics
import Foundation
import Logging
import RuntimeWatchService
import XCTest

final class ServiceListenerTests: XCTestCase {
    private func quietLogger() -> Logger {
        var logger = Logger(label: "test.listener")
        logger.logLevel = .error
        return logger
    }

    /// The error `start()` threw, or nil (after stopping it) if it started.
    private func startFailure(_ listener: ServiceListener) async -> ServiceListenerError? {
        let result: Result<Int, ServiceListenerError>
        do { result = .success(try await listener.start(timeout: .seconds(5))) } catch { result = .failure(error) }
        switch result {
        case .success:
            await listener.stop()
            return nil
        case .failure(let error):
            return error
        }
    }

    func testHealthzIs503WithReasonsUntilReadyThen200() async throws {
        let health = HealthState()
        health.register(source: "proc_connector")
        let listener = try ServiceListener(address: ListenAddress(host: "127.0.0.1", port: 0), health: health,
                                           metrics: PrometheusMetrics(), logger: quietLogger())
        let port = try await listener.start()
        XCTAssertGreaterThan(port, 0)
        XCTAssertEqual(listener.boundPort, port)

        var answer = try await RawHTTPClient.request(port: port, path: "/healthz")
        XCTAssertEqual(answer.status, 503)
        XCTAssertEqual(answer.body, "pipeline: not running\nproc_connector: not ready yet\n")

        health.markReady(source: "proc_connector")
        answer = try await RawHTTPClient.request(port: port, path: "/healthz")
        XCTAssertEqual(answer.status, 503)
        XCTAssertEqual(answer.body, "pipeline: not running\n")

        health.setPipelineRunning(true)
        answer = try await RawHTTPClient.request(port: port, path: "/healthz")
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.body, "ok\n")
        XCTAssertTrue(answer.headers["content-type"]?.hasPrefix("text/plain") ?? false)

        answer = try await RawHTTPClient.request(port: port, path: "/nope")
        XCTAssertEqual(answer.status, 404)

        await listener.stop(gracePeriod: .seconds(2))
        XCTAssertNil(listener.boundPort)
        XCTAssertTrue(RawHTTPClient.isRefused(port: port), "nothing listens after stop()")
    }

    func testMetricsServesCountersFromAnInjectedFactory() async throws {
        let metrics = PrometheusMetrics()
        let counter = Counter(label: "runtime_watch_test_events_total", dimensions: [("kind", "exec")],
                              factory: metrics.factory)
        counter.increment(by: 41)
        counter.increment()
        let listener = try ServiceListener(address: ListenAddress(host: "127.0.0.1", port: 0), health: HealthState(),
                                           metrics: metrics, logger: quietLogger())
        let port = try await listener.start()
        let answer = try await RawHTTPClient.request(port: port, path: "/metrics")
        await listener.stop()
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertTrue(answer.body.contains("# TYPE runtime_watch_test_events_total counter"), answer.body)
        XCTAssertTrue(answer.body.contains("runtime_watch_test_events_total{kind=\"exec\"} 42"), answer.body)
    }

    func testRegisteredRouteReceivesBodyAndOversizedBodiesAreRefused() async throws {
        let seen = Locked<[RouteRequest]>([])
        let audit = RouteRegistration(method: .post, path: "/k8s-audit", maxBodyBytes: 1024) { request in
            seen.withLock { $0.append(request) }
            return RouteResponse(status: 202, body: "accepted \(request.body.count) bytes\n")
        }
        let listener = try ServiceListener(address: ListenAddress(host: "127.0.0.1", port: 0), health: HealthState(),
                                           metrics: PrometheusMetrics(), routes: [audit], logger: quietLogger())
        let port = try await listener.start()
        let payload = Array(#"{"kind":"EventList","items":[]}"#.utf8)
        var answer = try await RawHTTPClient.request(port: port, method: "POST", path: "/k8s-audit", body: payload,
                                                     headers: ["Content-Type": "application/json"])
        XCTAssertEqual(answer.status, 202)
        XCTAssertEqual(answer.body, "accepted \(payload.count) bytes\n")
        answer = try await RawHTTPClient.request(port: port, method: "POST", path: "/k8s-audit",
                                                 body: [UInt8](repeating: 0x20, count: 4096))
        XCTAssertEqual(answer.status, 413)
        answer = try await RawHTTPClient.request(port: port, method: "GET", path: "/k8s-audit")
        XCTAssertNotEqual(answer.status, 202, "only POST is routed")
        await listener.stop()

        let requests = seen.current
        XCTAssertEqual(requests.count, 1)
        XCTAssertEqual(requests.first?.body, payload)
        XCTAssertEqual(requests.first?.path, "/k8s-audit")
        XCTAssertEqual(requests.first?.header("content-type"), "application/json")
    }

    func testPortInUseGivesAClearError() async throws {
        let first = try ServiceListener(address: ListenAddress(host: "127.0.0.1", port: 0), health: HealthState(),
                                        metrics: PrometheusMetrics(), logger: quietLogger())
        let port = try await first.start()
        let second = try ServiceListener(address: ListenAddress(host: "127.0.0.1", port: port), health: HealthState(),
                                         metrics: PrometheusMetrics(), logger: quietLogger())
        let error = await startFailure(second)
        XCTAssertEqual(error, .bindFailed(address: "127.0.0.1:\(port)",
                                          reason: "address already in use (another process listens on this port)"))
        XCTAssertEqual(error.map { String(describing: $0) },
                       "cannot listen on 127.0.0.1:\(port): address already in use (another process listens on this port)")
        // The first listener is unaffected.
        let answer = try await RawHTTPClient.request(port: port, path: "/healthz")
        XCTAssertEqual(answer.status, 503)
        await first.stop()
    }

    func testRouteRegistrationMistakesAreRefused() {
        let handler: @Sendable (RouteRequest) async -> RouteResponse = { _ in RouteResponse(status: 200, body: "") }
        XCTAssertThrowsError(try ServiceListener(
            address: .defaultValue, health: HealthState(), metrics: PrometheusMetrics(),
            routes: [RouteRegistration(method: .get, path: "/metrics", handler: handler)])) { error in
            XCTAssertEqual(String(describing: error), "route GET /metrics is registered twice")
        }
        XCTAssertThrowsError(try ServiceListener(
            address: .defaultValue, health: HealthState(), metrics: PrometheusMetrics(),
            routes: [RouteRegistration(method: .post, path: "k8s-audit", handler: handler)])) { error in
            XCTAssertEqual(String(describing: error), "route path \"k8s-audit\" must start with '/'")
        }
    }

    func testStopIsBoundedWithAnOpenIdleConnectionAndStartRunsOnce() async throws {
        let listener = try ServiceListener(address: ListenAddress(host: "127.0.0.1", port: 0), health: HealthState(),
                                           metrics: PrometheusMetrics(), logger: quietLogger())
        let port = try await listener.start()
        let again = await startFailure(listener)
        XCTAssertEqual(again, .alreadyStarted, "a listener starts once")
        // A keep-alive client that never sends anything must not hold stop() beyond the grace period.
        let idle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(idle) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(idle, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(rc, 0)
        let began = ContinuousClock.now
        await listener.stop(gracePeriod: .milliseconds(500))
        let took = ContinuousClock.now - began
        XCTAssertLessThan(took, .seconds(3), "stop() took \(took)")
        XCTAssertTrue(RawHTTPClient.isRefused(port: port))
        await listener.stop()  // second stop is a no-op
    }
}
