// SPDX-License-Identifier: Apache-2.0
// How often a capture thread may wake while its records keep coming. The kernel wakes a thread
// blocked on a socket for each datagram that arrives: a steady 4,000 connects a second woke the
// connect thread about 4,000 times a second, one connect per wake, and the wakes cost more than
// reading the connects (BENCHMARKS section 24). After a wake that found records, the thread waits
// no sooner than `interval` after it, so what arrives meanwhile waits in the socket and is read in one
// go. A wake that found nothing, and the first record after a quiet spell, are not held: a lone
// event waits for nothing. Only for a source whose records can wait that long: the process capture
// must read an exec while its process lives, and a token opener is held until it is answered.

/// Owned by one capture thread.
struct WakeSpacing {
    /// Shortest time between two wakes that found records (nanoseconds; zero: no spacing).
    let interval: UInt64
    /// When the last wake that found records happened (nil: the last found none).
    private var lastBusyWake: UInt64?

    init(interval: Duration) {
        self.interval = interval.wholeNanoseconds
    }

    /// Nanoseconds to pause before waiting for input again: what is left of `interval` since the
    /// last wake that found records, zero when it is over or that wake found none.
    func pauseNanoseconds(now: UInt64) -> UInt64 {
        guard let last = lastBusyWake else { return 0 }
        let due = last &+ interval
        return due > now ? due - now : 0
    }

    /// Notes a wake at `time` and whether it found records.
    mutating func woke(at time: UInt64, foundRecords: Bool) {
        lastBusyWake = foundRecords && interval > 0 ? time : nil
    }
}
