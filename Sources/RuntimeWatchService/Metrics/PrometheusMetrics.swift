// SPDX-License-Identifier: Apache-2.0
// The Prometheus registry behind `/metrics`, and the one-time global bootstrap the CLI needs.
//
// swift-metrics' `MetricsSystem.bootstrap` may run at most once per process (it traps on a
// second call), so tests never touch it: they build an isolated `PrometheusMetrics` and hand its
// `factory` to the code under test. Only the CLI calls `MetricsBootstrap.bootstrapGlobalOnce()`.

import CoreMetrics
import NIOConcurrencyHelpers
import Prometheus

/// A Prometheus registry plus the swift-metrics factory that writes into it.
public struct PrometheusMetrics: Sendable {
    /// Content type of the text exposition format, version 0.0.4, as Prometheus scrapers expect.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public let registry: PrometheusCollectorRegistry
    /// Pass this to components (e.g. `WebhookSink(metricsFactory:)`) instead of relying on the
    /// global `MetricsSystem`, so tests stay isolated from each other.
    public let factory: PrometheusMetricsFactory

    /// A fresh registry that nothing else writes to; touches no global state.
    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
    }

    /// Every metric in the registry in Prometheus text exposition format (0.0.4).
    public func render() -> String {
        registry.emitToString()
    }
}

/// Process-wide metrics setup for the CLI.
public enum MetricsBootstrap {
    private static let global = NIOLockedValueBox<PrometheusMetrics?>(nil)

    /// Bootstraps `MetricsSystem` with a Prometheus factory the first time it is called and
    /// returns the same `PrometheusMetrics` on every later call (never bootstraps twice).
    /// Libraries that use `Counter(label:)` without a factory then report into this registry.
    public static func bootstrapGlobalOnce() -> PrometheusMetrics {
        global.withLockedValue { current in
            if let current { return current }
            let metrics = PrometheusMetrics()
            MetricsSystem.bootstrap(metrics.factory)
            current = metrics
            return metrics
        }
    }
}
