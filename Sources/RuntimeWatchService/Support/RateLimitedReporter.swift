// SPDX-License-Identifier: Apache-2.0
// Logs a recurring problem (dropped or failed alerts) at most once per interval, with how many
// occurrences the line stands for. A dead receiver must not turn into one log line per alert.

import Logging
import NIOConcurrencyHelpers

/// Counts occurrences and logs the first one at once, then at most one summary per `interval`.
final class RateLimitedReporter: Sendable {
    private struct State {
        var unreported = 0
        var lastDetail = ""
        var lastLogged: ContinuousClock.Instant?
    }
    private let state = NIOLockedValueBox(State())
    private let logger: Logger
    private let level: Logger.Level
    private let interval: Duration
    private let what: String

    /// - Parameter what: noun phrase for the log line, e.g. "webhook alerts dropped".
    init(logger: Logger, level: Logger.Level, interval: Duration, what: String) {
        self.logger = logger
        self.level = level
        self.interval = interval
        self.what = what
    }

    /// Notes `count` occurrences; logs now if nothing was logged within the interval.
    func record(count: Int = 1, detail: String) {
        let now = ContinuousClock.now
        let due: (Int, String)? = state.withLockedValue { s in
            s.unreported += count
            s.lastDetail = detail
            if let last = s.lastLogged, now - last < interval { return nil }
            s.lastLogged = now
            defer { s.unreported = 0 }
            return (s.unreported, s.lastDetail)
        }
        if let (n, detail) = due { log(count: n, detail: detail) }
    }

    /// Logs whatever was counted but not yet logged (at shutdown), regardless of the interval.
    func reportPending() {
        let due: (Int, String)? = state.withLockedValue { s in
            guard s.unreported > 0 else { return nil }
            defer { s.unreported = 0; s.lastLogged = ContinuousClock.now }
            return (s.unreported, s.lastDetail)
        }
        if let (n, detail) = due { log(count: n, detail: detail) }
    }

    private func log(count: Int, detail: String) {
        logger.log(level: level, "\(count) \(what) (\(detail)); repeats are summarised at most every \(interval)")
    }
}
