// SPDX-License-Identifier: Apache-2.0
// The proc connector stamps events with CLOCK_MONOTONIC; traces carry wall-clock time. The offset
// between the two is measured once at start (a later NTP step is not followed: events keep a
// consistent timeline within a capture).

#if canImport(Glibc)
import Glibc
#endif

/// Converts kernel monotonic nanoseconds to nanoseconds since the Unix epoch.
public struct WallClock: Sendable, Hashable {
    /// realtime − monotonic, in nanoseconds.
    public var offsetNanoseconds: Int64

    public init(offsetNanoseconds: Int64) { self.offsetNanoseconds = offsetNanoseconds }

    /// Measures the offset: the tightest of a few monotonic/realtime/monotonic bracketings.
    public static func measure() -> WallClock {
        var best: (width: Int64, offset: Int64) = (.max, 0)
        for _ in 0..<5 {
            let before = now(CLOCK_MONOTONIC)
            let real = now(CLOCK_REALTIME)
            let after = now(CLOCK_MONOTONIC)
            let width = after - before
            if width < best.width { best = (width, real - (before + width / 2)) }
        }
        return WallClock(offsetNanoseconds: best.offset)
    }

    /// Wall-clock nanoseconds for a monotonic stamp (0 stays representable: clamps at 0).
    public func wall(fromMonotonic ns: UInt64) -> UInt64 {
        let wall = Int64(clamping: ns) &+ offsetNanoseconds
        return wall < 0 ? 0 : UInt64(wall)
    }

    /// Current wall-clock time in nanoseconds since the epoch.
    public static func nowNanoseconds() -> UInt64 { UInt64(max(0, now(CLOCK_REALTIME))) }

    /// Current monotonic time in nanoseconds (same clock as proc connector stamps).
    public static func monotonicNanoseconds() -> UInt64 { UInt64(max(0, now(CLOCK_MONOTONIC))) }

    /// Sleeps the calling thread about `nanoseconds` (a signal may end it sooner). nanosleep(2): the
    /// call the seccomp filter allows for it.
    public static func sleep(nanoseconds: UInt64) {
        var ts = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        nanosleep(&ts, nil)
    }

    private static func now(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
