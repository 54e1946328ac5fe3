// SPDX-License-Identifier: Apache-2.0
// How often a capture thread may wake while its events keep coming. The kernel wakes a thread
// blocked on a socket for each datagram that arrives: a steady 4,000 connects a second woke the
// connect thread about 4,000 times a second, one connect per wake, and the wakes cost more than
// reading the connects (BENCHMARKS section 24). So, under such a stream, the thread waits no sooner
// than `interval` after its last wake, and what arrives meanwhile waits in the socket and is read in
// one go. A stream is a wake that read two events or more, or one that came less than half an
// interval after the last wake that read any: events coming about once an interval or less often
// are each read as they come (a pause would only add a wake for nothing), and a lone event, or the
// first after a quiet spell, waits for nothing. Only for a source whose events can wait that long:
// the process capture must read an exec while its process lives, and a token opener is held until
// it is answered.

/// Owned by one capture thread.
struct WakeSpacing {
    /// Shortest time between two wakes under a stream of events (nanoseconds; zero: no spacing).
    let interval: UInt64
    /// When the last wake that read events happened (nil: the last read none).
    private var lastBusyWake: UInt64?
    /// Whether that wake showed a stream (see the file's comment).
    private var streaming = false

    init(interval: Duration) {
        self.interval = interval.wholeNanoseconds
    }

    /// Nanoseconds to pause before waiting for input again: under a stream, what is left of
    /// `interval` since the last wake; otherwise zero.
    func pauseNanoseconds(now: UInt64) -> UInt64 {
        guard streaming, let last = lastBusyWake else { return 0 }
        let due = last &+ interval
        return due > now ? due - now : 0
    }

    /// Notes a wake at `time` that read `events` events.
    mutating func woke(at time: UInt64, events: Int) {
        guard interval > 0, events > 0 else {
            lastBusyWake = nil
            streaming = false
            return
        }
        let soonAfterLast = lastBusyWake.map { time &- $0 < interval / 2 } ?? false
        streaming = events >= 2 || soonAfterLast
        lastBusyWake = time
    }
}
