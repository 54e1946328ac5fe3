// SPDX-License-Identifier: Apache-2.0
// One alert to many sinks (stdout and a webhook, say), as swift-log's MultiplexLogHandler does.

public struct MultiplexSink: AlertSink {
    public let sinks: [any AlertSink]
    public init(_ sinks: [any AlertSink]) { self.sinks = sinks }

    public func emit(_ alert: Alert) {
        for s in sinks { s.emit(alert) }
    }

    /// Failed writes of every sink, added up.
    public var writeFailures: UInt64 { sinks.reduce(0) { $0 &+ $1.writeFailures } }
    /// The first sink's first failed write.
    public var firstWriteError: String? { sinks.lazy.compactMap(\.firstWriteError).first }

    /// Flushes every sink, in order.
    public func flush() async {
        for s in sinks { await s.flush() }
    }
}
