// SPDX-License-Identifier: Apache-2.0
// What happened to one batch of API-server audit events posted to the monitor: the contract between
// the capture side that takes the batch (`K8sAuditInput`) and the HTTP route that answers for it.

/// The outcome of one posted batch.
public enum K8sAuditIngestOutcome: Sendable, Equatable {
    /// Decoded and queued whole (malformed items are skipped alone and listed): answer 200.
    case accepted(K8sAuditIngestSummary)
    /// The body is not an audit document: answer 400 (retrying will not help).
    case refused(reason: String)
    /// The pipeline cannot take the batch now; nothing of it was queued: answer 503 with
    /// `Retry-After`, and the API server's webhook backend sends the batch again.
    case busy(retryAfterSeconds: Int)
    /// The batch holds more events than one batch may ever queue (a quarter of the capture queue):
    /// answer 413, since a retry of the same batch would be refused forever. The API server's
    /// `--audit-webhook-batch-max-size` (default 400) keeps real batches far below it.
    case tooLarge(events: Int, limit: Int)
}

/// The body of a 200 answer.
public struct K8sAuditIngestSummary: Sendable, Codable, Equatable {
    /// Items in the batch (decoded and malformed).
    public var received: Int
    /// Events handed to the pipeline.
    public var accepted: Int
    /// Of those, events the rules skip by stage (early stages of ordinary requests).
    public var skippedStages: Int
    /// Items not accepted: position (`items[3]`) and reason.
    public var malformed: [Malformed]
    /// Events the pipeline refused. Always 0 in an accepted batch (a batch that does not fit is
    /// answered 503 as a whole); kept in the body for clients that read it.
    public var dropped: Int

    public struct Malformed: Sendable, Codable, Equatable {
        public var position: String
        public var reason: String
        public init(position: String, reason: String) { self.position = position; self.reason = reason }
    }

    public init(received: Int, accepted: Int, skippedStages: Int, malformed: [Malformed], dropped: Int) {
        self.received = received
        self.accepted = accepted
        self.skippedStages = skippedStages
        self.malformed = malformed
        self.dropped = dropped
    }

    enum CodingKeys: String, CodingKey {
        case received, accepted, malformed, dropped
        case skippedStages = "skipped_stages"
    }
}
