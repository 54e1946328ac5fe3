// SPDX-License-Identifier: Apache-2.0
// When and how long the webhook retries: exponential backoff with jitter, capped, and a give-up
// horizon per batch so one unreachable receiver cannot hold the head of the queue forever.

/// Backoff schedule for webhook retries.
public struct RetryPolicy: Sendable, Equatable {
    /// Delay before the first retry (before jitter).
    public var initialDelay: Duration
    /// No single wait exceeds this, whatever the attempt number or Retry-After says.
    public var maxDelay: Duration
    /// A batch still failing this long after its first attempt is given up (counted as failed).
    public var giveUpAfter: Duration

    public init(initialDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(30),
                giveUpAfter: Duration = .seconds(300)) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.giveUpAfter = giveUpAfter
    }

    /// Wait before retry number `retry` (1 = first retry): `initialDelay * 2^(retry-1)` capped at
    /// `maxDelay`, then "equal jitter": half fixed, half scaled by `randomUnit` in [0, 1).
    /// Jitter spreads the retries of many nodes that lost the same receiver at the same moment.
    /// - Returns: a duration in [capped/2, capped]; `serverHint` (Retry-After) raises the result
    ///   to at least that value, still capped at `maxDelay`.
    public func delay(beforeRetry retry: Int, randomUnit: Double, serverHint: Duration? = nil) -> Duration {
        let exponent = min(max(retry - 1, 0), 40)
        let base = initialDelay * (1 << exponent)
        let capped = min(base, maxDelay)
        let unit = min(max(randomUnit, 0), 1)
        var wait = capped / 2 + (capped / 2) * unit
        if let serverHint { wait = max(wait, min(serverHint, maxDelay)) }
        return wait
    }
}
