// SPDX-License-Identifier: Apache-2.0
// A sink that discards alerts: for benchmarks and for runs that only want counters.

public struct NoOpSink: AlertSink {
    public init() {}
    @inlinable public func emit(_ alert: Alert) {}
}
