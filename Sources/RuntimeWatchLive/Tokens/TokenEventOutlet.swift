// SPDX-License-Identifier: Apache-2.0
// The bounded event stream's producer side. A full stream never blocks the event thread: the record
// is dropped, counted, and reported as one `.drop` record as soon as the stream has room again.

import RuntimeWatchCore

/// Owned by the event thread only.
struct TokenEventOutlet {
    static let source = "fanotify"

    let continuation: AsyncStream<EventRecord>.Continuation
    let shared: TokenWatchShared
    let capacity: Int
    /// Records lost since the last `.drop` record that made it into the stream.
    private var unreported: UInt64 = 0
    private var unreportedReasons: Set<String> = []

    init(continuation: AsyncStream<EventRecord>.Continuation, shared: TokenWatchShared, capacity: Int) {
        self.continuation = continuation
        self.shared = shared
        self.capacity = capacity
    }

    /// Hands one record to the stream (after any pending drop report).
    mutating func emit(_ record: EventRecord) {
        flushDrops()
        switch continuation.yield(record) {
        case .enqueued: break
        case .dropped, .terminated: lose(1, reason: "event stream full (capacity \(capacity)): consumer too slow")
        @unknown default: lose(1, reason: "event stream refused the record")
        }
    }

    /// Reports events the kernel or the decoder lost, as their own `.drop` record.
    mutating func reportLoss(count: UInt64, reason: String) {
        flushDrops()
        let record = EventRecord(timestamp: TokenClock.wallNanoseconds(),
                                 event: .drop(DropEvent(source: Self.source, count: count, reason: reason)))
        if case .enqueued = continuation.yield(record) { return }
        unreported += count
        unreportedReasons.insert(reason)
    }

    /// Emits one `.drop` record for everything lost so far, if the stream has room.
    mutating func flushDrops() {
        guard unreported > 0 else { return }
        let reason = unreportedReasons.sorted().joined(separator: "; ")
        let record = EventRecord(timestamp: TokenClock.wallNanoseconds(),
                                 event: .drop(DropEvent(source: Self.source, count: unreported, reason: reason)))
        if case .enqueued = continuation.yield(record) {
            unreported = 0
            unreportedReasons.removeAll()
        }
    }

    private mutating func lose(_ count: UInt64, reason: String) {
        unreported += count
        unreportedReasons.insert(reason)
        shared.count { $0.dropped += count }
    }
}
