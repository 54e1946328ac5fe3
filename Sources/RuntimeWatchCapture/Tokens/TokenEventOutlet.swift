// SPDX-License-Identifier: Apache-2.0
// The event thread's side of the capture queue. A full queue never blocks the event thread: the
// queue drops the record, counts it and reports it as a `.drop` event.

import RuntimeWatchCore

/// Owned by the event thread only.
struct TokenEventOutlet {
    static let source = CaptureSource.fanotify

    let outlet: CaptureOutlet

    /// Hands one record to the queue; `wake`: see `CaptureQueue.push(_:from:wake:)`.
    /// - Returns: false when the queue was full (the queue counts and reports the loss; the caller
    ///   counts it in the watcher's counters together with the event).
    mutating func emit(_ record: EventRecord, wake: Bool) -> Bool {
        outlet.emit(record, wake: wake)
    }

    /// Reports events the kernel or the decoder lost.
    /// - Parameter cause: "kernel_overflow" (FAN_Q_OVERFLOW) or "decode_error".
    mutating func reportLoss(count: UInt64, cause: String, reason: String) {
        outlet.lose(count, cause: cause, reason: reason, time: WallClock.nowNanoseconds())
    }
}
