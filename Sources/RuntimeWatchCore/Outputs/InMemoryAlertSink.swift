// SPDX-License-Identifier: Apache-2.0
// Keeps alerts in memory for tests (golden replays, detector tests), like swift-metrics' TestMetrics.
// Public in Core so every test target can use it without a shared test-support module.

import Foundation

public final class InMemoryAlertSink: AlertSink, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Alert] = []

    public init() {}

    public func emit(_ alert: Alert) {
        lock.withLock { stored.append(alert) }
    }

    /// Every alert emitted so far, in order.
    public var alerts: [Alert] { lock.withLock { stored } }

    /// The alerts as JSON lines (the exact text `JSONLinesSink` writes, without newlines).
    public var jsonLines: [String] { alerts.map { $0.jsonLine() } }

    /// Forgets every alert.
    public func removeAll() { lock.withLock { stored.removeAll() } }
}
