// SPDX-License-Identifier: Apache-2.0
// Which webhook answers are final and which are worth retrying. A 4xx means the receiver read the
// request and refused it: resending the same bytes would be refused again, except 408 (the
// receiver timed out reading) and 429 (slow down). 5xx and transport errors are transient.

/// The result of one POST attempt.
enum DeliveryOutcome: Sendable, Equatable {
    /// 2xx: the receiver has the alert.
    case delivered
    /// Worth another attempt: 408, 429, 5xx, connection refused/reset, timeout.
    /// `retryAfter` carries the receiver's Retry-After (seconds) when it sent one.
    case retryable(reason: String, retryAfter: Duration?)
    /// Final refusal (other 4xx, 3xx, 1xx): retrying would only repeat it.
    case rejected(status: Int)

    /// Classifies an HTTP status code.
    static func classify(status: Int, retryAfter: Duration? = nil) -> DeliveryOutcome {
        switch status {
        case 200..<300: .delivered
        case 408, 429, 500..<600: .retryable(reason: "HTTP \(status)", retryAfter: retryAfter)
        default: .rejected(status: status)
        }
    }

    /// Parses a Retry-After header given in delta-seconds; HTTP-dates and junk give nil.
    static func parseRetryAfter(_ value: String?) -> Duration? {
        guard let value, let seconds = Int(value.filter { !$0.isWhitespace }), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }
}
