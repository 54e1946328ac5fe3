// SPDX-License-Identifier: Apache-2.0
// Settings of the webhook output. Defaults suit falcosidekick on the same cluster network.

import Foundation

/// Why a webhook URL was refused.
public struct WebhookConfigurationError: Error, Equatable, CustomStringConvertible {
    public var url: String
    public var reason: String
    public var description: String { "invalid webhook URL \"\(url)\": \(reason)" }
}

/// How the webhook output queues, sends and retries.
public struct WebhookConfiguration: Sendable {
    /// Where each alert is POSTed; falcosidekick listens at its root path, e.g. http://falcosidekick:2801/
    public var url: String
    /// Alerts waiting to be sent; when full, new alerts are dropped (and counted).
    public var queueCapacity: Int
    /// Alerts sent concurrently per batch (and the keep-alive connection pool's size).
    public var maxConcurrentRequests: Int
    /// Whole-request deadline of one POST, connect included.
    public var requestTimeout: Duration
    /// TCP connect deadline.
    public var connectTimeout: Duration
    public var retry: RetryPolicy
    /// Longest `flush()` waits for the queue to drain: the drain time at exit
    /// (`--webhook-drain-seconds`); what is still queued afterwards is dropped at shutdown.
    public var flushTimeout: Duration
    /// Drops and failures are logged at most once per this interval.
    public var logInterval: Duration

    /// - Throws: `WebhookConfigurationError` unless `url` is an absolute http(s) URL with a host.
    public init(url: String, queueCapacity: Int = 10_000, maxConcurrentRequests: Int = 8,
                requestTimeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(5),
                retry: RetryPolicy = RetryPolicy(), flushTimeout: Duration = .seconds(10),
                logInterval: Duration = .seconds(30)) throws(WebhookConfigurationError) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased() else {
            throw WebhookConfigurationError(url: url, reason: "not an absolute URL")
        }
        guard scheme == "http" || scheme == "https" else {
            throw WebhookConfigurationError(url: url, reason: "scheme must be http or https, not \(scheme)")
        }
        guard let host = parsed.host, !host.isEmpty else {
            throw WebhookConfigurationError(url: url, reason: "missing host")
        }
        self.url = url
        self.queueCapacity = max(1, queueCapacity)
        self.maxConcurrentRequests = max(1, maxConcurrentRequests)
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.retry = retry
        self.flushTimeout = flushTimeout
        self.logInterval = logInterval
    }
}
