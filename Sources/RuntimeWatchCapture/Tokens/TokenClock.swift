// SPDX-License-Identifier: Apache-2.0
// The two clocks the token watcher needs: monotonic for budgets and latencies, wall clock for the
// event timestamps (EventRecord.timestamp is nanoseconds since the Unix epoch).

import Glibc

enum TokenClock {
    /// CLOCK_MONOTONIC in nanoseconds.
    static func monotonicNanoseconds() -> UInt64 { read(CLOCK_MONOTONIC) }
    /// CLOCK_REALTIME in nanoseconds since the epoch.
    static func wallNanoseconds() -> UInt64 { read(CLOCK_REALTIME) }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
