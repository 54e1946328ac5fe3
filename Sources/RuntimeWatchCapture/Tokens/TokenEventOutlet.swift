// SPDX-License-Identifier: Apache-2.0
// The event thread's side of the capture queue. A full queue never blocks the event thread: the
// queue drops the record, counts it and reports it as a `.drop` event; this type also counts it in
// the watcher's own counters.

import RuntimeWatchCore

/// Owned by the event thread only.
struct TokenEventOutlet {
    static let source = "fanotify"

    let outlet: CaptureOutlet
    let shared: TokenWatchShared

    init(outlet: CaptureOutlet, shared: TokenWatchShared) {
        self.outlet = outlet
        self.shared = shared
    }

    /// Hands one record to the queue.
    mutating func emit(_ record: EventRecord) {
        if !outlet.emit(record) { shared.count { $0.dropped += 1 } }
    }

    /// Reports events the kernel or the decoder lost.
    /// - Parameter cause: "kernel_overflow" (FAN_Q_OVERFLOW) or "decode_error".
    mutating func reportLoss(count: UInt64, cause: String, reason: String) {
        outlet.lose(count, cause: cause, reason: reason, time: TokenClock.wallNanoseconds())
    }
}
