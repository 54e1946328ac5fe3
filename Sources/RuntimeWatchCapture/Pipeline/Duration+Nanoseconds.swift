// SPDX-License-Identifier: Apache-2.0
// Configured durations as the monotonic nanoseconds the capture loops compare against.

extension Duration {
    /// Whole nanoseconds (negative durations count as zero).
    var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
