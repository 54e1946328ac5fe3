// SPDX-License-Identifier: Apache-2.0
// Readiness logic behind /healthz: every registered source ready and the pipeline running.

import RuntimeWatchService
import XCTest

final class HealthStateTests: XCTestCase {
    func testNotHealthyUntilPipelineRunsAndEverySourceIsReady() {
        let health = HealthState()
        health.register(source: "proc_connector")
        health.register(source: "fanotify")
        var report = health.report()
        XCTAssertEqual(report.httpStatus, 503)
        XCTAssertEqual(report.problems, ["pipeline: not running", "fanotify: not ready yet", "proc_connector: not ready yet"])

        health.markReady(source: "proc_connector")
        health.markNotReady(source: "fanotify", reason: "fanotify_init: Operation not permitted (errno 1)")
        health.setPipelineRunning(true)
        report = health.report()
        XCTAssertEqual(report.problems, ["fanotify: fanotify_init: Operation not permitted (errno 1)"])
        XCTAssertEqual(report.body, "fanotify: fanotify_init: Operation not permitted (errno 1)\n")

        health.markReady(source: "fanotify")
        report = health.report()
        XCTAssertTrue(report.isHealthy)
        XCTAssertEqual(report.httpStatus, 200)
        XCTAssertEqual(report.body, "ok\n")

        // Re-registering keeps the reported status; stopping the pipeline makes it unhealthy again.
        health.register(source: "fanotify")
        XCTAssertTrue(health.report().isHealthy)
        health.setPipelineRunning(false)
        XCTAssertEqual(health.report().problems, ["pipeline: not running"])
    }
}
