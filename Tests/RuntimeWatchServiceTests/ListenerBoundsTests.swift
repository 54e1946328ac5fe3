// SPDX-License-Identifier: Apache-2.0
// Hostile HTTP clients against the real listener on 127.0.0.1: slowloris headers, idle keep-alive
// connections, bodies that stop, more connections than allowed, oversize bodies and too many
// bodies at once. Limits are shrunk so each test takes a few seconds; every wait is bounded.

import Foundation
import Logging
import RuntimeWatchService
import XCTest

final class ListenerBoundsTests: XCTestCase {
    private func quietLogger() -> Logger {
        var logger = Logger(label: "test.listener-bounds")
        logger.logLevel = .error
        return logger
    }

    /// A started listener with `limits` and a POST /k8s-audit route answering 200 after `handle`.
    private func startListener(_ limits: ListenerLimits, maxBodyBytes: Int = 1 << 20,
                               handle: @escaping @Sendable ([UInt8]) async -> Void = { _ in })
        async throws -> (ServiceListener, Int, PrometheusMetrics)
    {
        let metrics = PrometheusMetrics()
        let route = RouteRegistration(method: .post, path: "/k8s-audit", maxBodyBytes: maxBodyBytes) { request in
            await handle(request.body)
            return RouteResponse(status: 200, body: "read \(request.body.count) bytes\n")
        }
        let health = HealthState()
        health.setPipelineRunning(true)
        let listener = try ServiceListener(address: ListenAddress(host: "127.0.0.1", port: 0), health: health,
                                           metrics: metrics, routes: [route], limits: limits, logger: quietLogger())
        let port = try await listener.start()
        return (listener, port, metrics)
    }

    /// Runs blocking socket work off the cooperative pool.
    private func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    func testSlowlorisHeaderIsClosedByTheHeaderTimeoutNotTheIdleOne() async throws {
        let limits = ListenerLimits(headerTimeout: .milliseconds(400), idleTimeout: .seconds(30))
        let (listener, port, metrics) = try await startListener(limits)
        let began = Date()
        let closedAfter: TimeInterval? = try await blocking {
            let client = try RawConnection(port: port)
            client.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            // One more header line every 100 ms: always active, never finished.
            for i in 0..<40 {
                guard client.send("X-Slow-\(i): y\r\n") else { return Date().timeIntervalSince(began) }
                if client.waitForClose(timeout: 0.1) { return Date().timeIntervalSince(began) }
            }
            return nil
        }
        let text = metrics.render()
        await listener.stop()
        let after = try XCTUnwrap(closedAfter, "a header trickled for 4 s was never cut off")
        XCTAssertGreaterThanOrEqual(after, 0.35)
        XCTAssertLessThan(after, 2.5, "closed after \(after) s, header timeout is 0.4 s")
        XCTAssertTrue(text.contains(#"runtime_watch_listener_connections_closed_total{reason="header_timeout"} 1"#), text)
    }

    func testIdleKeepAliveConnectionIsClosedAfterTheIdleTimeoutOnly() async throws {
        let limits = ListenerLimits(headerTimeout: .milliseconds(300), idleTimeout: .milliseconds(1500))
        let (listener, port, _) = try await startListener(limits)
        let (answered, openAtHeaderTimeout, closed) = try await blocking { () -> (Bool, Bool, Bool) in
            let client = try RawConnection(port: port)
            client.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let answered = client.waitFor("ok\n", timeout: 3)
            // Idle, not slow: three header timeouts later the connection is still open...
            let closedEarly = client.waitForClose(timeout: 0.9)
            // ...and the idle timeout (1.5 s from the answer) closes it.
            return (answered, !closedEarly, client.waitForClose(timeout: 2.5))
        }
        await listener.stop()
        XCTAssertTrue(answered)
        XCTAssertTrue(openAtHeaderTimeout, "an idle keep-alive connection must get the idle timeout, not the header one")
        XCTAssertTrue(closed, "an idle keep-alive connection was never closed")
    }

    func testBodyThatStopsMidwayIsCutOffAndNeverHandled() async throws {
        let handled = Locked(0)
        let limits = ListenerLimits(headerTimeout: .seconds(5), idleTimeout: .seconds(30), bodyTimeout: .milliseconds(500))
        let (listener, port, metrics) = try await startListener(limits) { _ in handled.withLock { $0 += 1 } }
        let closed = try await blocking { () -> Bool in
            let client = try RawConnection(port: port)
            client.send("POST /k8s-audit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n")
            client.send(String(repeating: "{", count: 100))
            return client.waitForClose(timeout: 3)
        }
        let text = metrics.render()
        await listener.stop()
        XCTAssertTrue(closed, "a body that stopped after 100 of 1000 bytes held its connection for 3 s")
        XCTAssertEqual(handled.current, 0)
        XCTAssertTrue(text.contains(#"runtime_watch_listener_connections_closed_total{reason="body_timeout"} 1"#), text)
    }

    func testConnectionsBeyondTheLimitWaitInTheBacklogUntilOneCloses() async throws {
        let limits = ListenerLimits(headerTimeout: .seconds(10), idleTimeout: .seconds(30), maxConnections: 2)
        let (listener, port, _) = try await startListener(limits)
        let outcome = try await blocking { () -> (Bool, Bool, Bool) in
            let first = try RawConnection(port: port)
            let second = try RawConnection(port: port)
            // Both are served (kept alive afterwards), so both hold a slot.
            first.send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            second.send("GET /healthz HTTP/1.1\r\nHost: b\r\n\r\n")
            let served = first.waitFor("ok\n", timeout: 3) && second.waitFor("ok\n", timeout: 3)
            let third = try RawConnection(port: port)
            third.send("GET /healthz HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n")
            let answeredWhileFull = third.waitFor("ok\n", timeout: 0.8)
            first.closeNow()   // frees a slot
            let answeredAfterwards = third.waitFor("ok\n", timeout: 3)
            second.closeNow()
            return (served, answeredWhileFull, answeredAfterwards)
        }
        await listener.stop()
        XCTAssertTrue(outcome.0)
        XCTAssertFalse(outcome.1, "a third connection was served while 2 (the limit) were open")
        XCTAssertTrue(outcome.2, "the waiting connection was not served once a slot was free")
    }

    func testOversizeBodyGets413AndEOFWhileTheClientIsStillSending() async throws {
        let limits = ListenerLimits(headerTimeout: .seconds(5), idleTimeout: .seconds(30), bodyTimeout: .seconds(30))
        let (listener, port, metrics) = try await startListener(limits, maxBodyBytes: 1024)
        for chunked in [false, true] {
            let outcome = try await blocking { () -> (Bool, TimeInterval, String) in
                let client = try RawConnection(port: port)
                let framing = chunked ? "Transfer-Encoding: chunked" : "Content-Length: \(8 << 20)"
                client.send("POST /k8s-audit HTTP/1.1\r\nHost: 127.0.0.1\r\n\(framing)\r\n\r\n")
                // 8 MiB at 64 KiB per 50 ms takes 6.4 s: the answer must not wait for it.
                let began = Date()
                let sender = Thread {
                    let piece = [UInt8](repeating: 0x20, count: 64 << 10)
                    let chunk = chunked ? Array("10000\r\n".utf8) + piece + Array("\r\n".utf8) : piece
                    for _ in 0..<128 {
                        guard client.send(chunk) else { return }
                        Thread.sleep(forTimeInterval: 0.05)
                    }
                }
                sender.start()
                let closed = client.waitForClose(timeout: 3)
                return (closed, Date().timeIntervalSince(began), client.text)
            }
            XCTAssertTrue(outcome.0, "chunked \(chunked): the connection was not closed after the 413: \(outcome.2)")
            XCTAssertLessThan(outcome.1, 3)
            XCTAssertTrue(outcome.2.hasPrefix("HTTP/1.1 413"), "chunked \(chunked): \(outcome.2)")
            XCTAssertTrue(outcome.2.contains("request body larger than 1024 bytes"), outcome.2)
        }
        let text = metrics.render()
        await listener.stop()
        XCTAssertTrue(text.contains(#"runtime_watch_listener_connections_closed_total{reason="answered_early"} 2"#), text)
    }

    func testBodiesOverTheSharedBudgetGet503WithRetryAfter() async throws {
        let gate = Gate()
        let handling = Locked(0)
        let limits = ListenerLimits(headerTimeout: .seconds(5), idleTimeout: .seconds(30), bodyBudgetBytes: 1000)
        let (listener, port, _) = try await startListener(limits, maxBodyBytes: 800) { _ in
            handling.withLock { $0 += 1 }
            await gate.wait()
        }
        let body = [UInt8](repeating: 0x20, count: 600)
        // A: 600 bytes held by a handler that waits on the gate (its body is read and reserved).
        let first = Task { try await RawHTTPClient.request(port: port, method: "POST", path: "/k8s-audit", body: body) }
        await waitUntil("the first body reaches its handler") { handling.current == 1 }
        // B: 600 more would make 1200 > 1000 in flight.
        let refused = try await RawHTTPClient.request(port: port, method: "POST", path: "/k8s-audit", body: body, timeout: 3)
        XCTAssertEqual(refused.status, 503)
        XCTAssertEqual(refused.headers["retry-after"], "1")
        // Probes are not bodies: they answer while the budget is spent.
        let health = try await RawHTTPClient.request(port: port, path: "/healthz", timeout: 2)
        XCTAssertEqual(health.status, 200)
        gate.open()
        let held = try await first.value
        XCTAssertEqual(held.status, 200)
        XCTAssertEqual(held.body, "read 600 bytes\n")
        // The budget was given back.
        let again = try await RawHTTPClient.request(port: port, method: "POST", path: "/k8s-audit", body: body, timeout: 3)
        XCTAssertEqual(again.status, 200)
        await listener.stop()
    }

    func testHealthzAndMetricsAnswerWhile20SlowClientsHoldConnectionsThenTheyAreClosed() async throws {
        let limits = ListenerLimits(headerTimeout: .seconds(2), idleTimeout: .seconds(30), bodyTimeout: .seconds(2),
                                    maxConnections: 64)
        let (listener, port, metrics) = try await startListener(limits)
        // 10 slowloris headers and 10 bodies to /k8s-audit that stop half-way.
        let slow = try (0..<20).map { i -> RawConnection in
            let client = try RawConnection(port: port)
            if i < 10 {
                client.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            } else {
                client.send("POST /k8s-audit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n{\"items\":[")
            }
            return client
        }
        for _ in 0..<5 {
            let began = ContinuousClock.now
            let health = try await RawHTTPClient.request(port: port, path: "/healthz", timeout: 2)
            let scrape = try await RawHTTPClient.request(port: port, path: "/metrics", timeout: 2)
            XCTAssertEqual(health.status, 200)
            XCTAssertEqual(scrape.status, 200)
            XCTAssertLessThan(ContinuousClock.now - began, .seconds(1))
            try await Task.sleep(for: .milliseconds(100))
        }
        // One deadline for all 20, so a run where none is closed still ends in 4 s.
        let closed = try await blocking { () -> [Bool] in
            let deadline = Date().addingTimeInterval(4)
            return slow.map { $0.waitForClose(timeout: max(0.01, deadline.timeIntervalSinceNow)) }
        }
        let text = metrics.render()
        await listener.stop()
        XCTAssertEqual(closed.filter { $0 }.count, 20, "slow clients still open: \(closed)")
        XCTAssertTrue(text.contains(#"runtime_watch_listener_connections_closed_total{reason="header_timeout"} 10"#), text)
        XCTAssertTrue(text.contains(#"runtime_watch_listener_connections_closed_total{reason="body_timeout"} 10"#), text)
    }

    func testOversizeHeaderIsRefusedAndClosed() async throws {
        let limits = ListenerLimits(headerTimeout: .seconds(5), idleTimeout: .seconds(30), maxHeaderBytes: 4096)
        let (listener, port, _) = try await startListener(limits)
        let outcome = try await blocking { () -> (Bool, String) in
            let client = try RawConnection(port: port)
            client.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: \(String(repeating: "a", count: 8192))\r\n\r\n")
            return (client.waitForClose(timeout: 3), client.text)
        }
        let fine = try await RawHTTPClient.request(port: port, path: "/healthz", headers: ["X-Small": String(repeating: "a", count: 2000)])
        await listener.stop()
        XCTAssertTrue(outcome.0, "an 8 KiB header over a 4 KiB limit held its connection")
        XCTAssertTrue(outcome.1.hasPrefix("HTTP/1.1 400"), outcome.1)
        XCTAssertEqual(fine.status, 200)
    }

    func testStopIsBoundedWhileClientsAreMidHeaderAndMidBody() async throws {
        // Default timeouts (10 s header, 30 s body): stop must not wait for them.
        let (listener, port, _) = try await startListener(ListenerLimits())
        let midBody = try RawConnection(port: port)
        midBody.send("POST /k8s-audit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"items\":[")
        let midHeader = try RawConnection(port: port)
        midHeader.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try await Task.sleep(for: .milliseconds(200))
        let stopped = Locked(false)
        let began = ContinuousClock.now
        let stopping = Task {
            await listener.stop(gracePeriod: .milliseconds(500))
            stopped.withLock { $0 = true }
        }
        await waitUntil("stop() returns", timeout: .seconds(5)) { stopped.current }
        let took = ContinuousClock.now - began
        XCTAssertLessThan(took, .seconds(3), "stop() took \(took) with a half-sent body open")
        let closed = try await blocking { midBody.waitForClose(timeout: 2) && midHeader.waitForClose(timeout: 2) }
        XCTAssertTrue(closed, "connections left open after stop()")
        _ = stopping
    }
}
