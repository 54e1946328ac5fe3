// SPDX-License-Identifier: Apache-2.0
// When a capture thread wakes the drive loop. Waking it for every record costs the node a thread
// switch per event, more than the engine's work on it (BENCHMARKS sections 5, 8, 22): a capture
// thread queues its records without a wake and wakes the drive loop once for several: at the latest
// `window` after the first, or when the thread has nothing more to read. With `wakesAfterQuiet`, the
// records read in one go after a quiet spell (no record for a whole `window`) wake it at once: an
// event alone waits for nothing, and under a storm the records of one window still share a wake.
// The records wait in the one FIFO queue, in order with every other source's.

/// Owned by one capture thread.
struct DeferredHandOff {
    /// Longest a record waits in the queue before the drive loop is woken for it (nanoseconds;
    /// zero: woken for every record).
    let window: UInt64
    /// When the oldest record queued without a wake was queued (nil: none waits).
    private(set) var waitingSince: UInt64?
    /// Whether records read after a quiet spell wake the drive loop at once (see the file's comment).
    let wakesAfterQuiet: Bool
    /// When the last record was queued, and whether the waiting ones came after a quiet spell.
    private var lastRecord: UInt64 = 0
    private var waitingAfterQuiet = false

    init(window: Duration, wakesAfterQuiet: Bool) {
        self.window = window.wholeNanoseconds
        self.wakesAfterQuiet = wakesAfterQuiet
    }

    /// Whether the record about to be queued wakes the drive loop itself (`wake:` of
    /// `CaptureQueue.push`). When it does not, it is noted as waiting.
    mutating func wakesFor(recordAt now: UInt64) -> Bool {
        guard window > 0 else { return true }
        if waitingSince == nil {
            waitingSince = now
            waitingAfterQuiet = now &- lastRecord >= window
        }
        lastRecord = now
        return false
    }

    /// `deadline`, or the time the waiting records are due if that is sooner.
    func deadline(_ deadline: UInt64) -> UInt64 {
        guard let since = waitingSince else { return deadline }
        return min(deadline, since &+ window)
    }

    /// Nanoseconds a thread may sleep waiting for input: `idle`, or less when records wait (until
    /// they are due; zero when they are).
    func sleepNanoseconds(idle: UInt64, now: UInt64) -> UInt64 {
        let wake = deadline(now &+ idle)
        return wake > now ? wake - now : 0
    }

    /// Wakes the drive loop when records wait and the thread has nothing more to read (`idle`), or
    /// the oldest has waited `window`, or (`wakesAfterQuiet`) the oldest came after a quiet spell.
    /// A thread calls it after each lot it read.
    mutating func handOffIfDue(now: UInt64, idle: Bool, to queue: CaptureQueue) {
        guard let since = waitingSince,
              idle || now &- since >= window || (wakesAfterQuiet && waitingAfterQuiet) else { return }
        handOff(to: queue)
    }

    /// Wakes the drive loop for every waiting record (also when the thread stops).
    mutating func handOff(to queue: CaptureQueue) {
        guard waitingSince != nil else { return }
        queue.signal()
        waitingSince = nil
    }
}
