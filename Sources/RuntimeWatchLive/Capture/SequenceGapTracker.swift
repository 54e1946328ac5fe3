// SPDX-License-Identifier: Apache-2.0
// The kernel numbers proc connector events per CPU (cn_msg.seq, +1 per event sent on that CPU,
// sent in order under a per-CPU lock — drivers/connector/cn_proc.c send_msg). A gap in one CPU's
// numbers is exactly the number of events this socket did not get: the precise loss count that
// ENOBUFS alone does not give.

/// Counts events lost from per-CPU sequence gaps. Not thread-safe (used by the receive thread).
public struct SequenceGapTracker: Sendable {
    private var last: [UInt32: UInt32] = [:]
    public init() {}

    /// Records one event's (cpu, sequence). Returns how many events were skipped before it on
    /// that CPU (0 normally). The first event per CPU sets the baseline; a jump backwards or of
    /// more than 2^30 is treated as a counter reset, not a loss.
    public mutating func record(cpu: UInt32, sequence: UInt32) -> UInt64 {
        defer { last[cpu] = sequence }
        guard let previous = last[cpu] else { return 0 }
        let step = sequence &- previous
        if step == 0 || step > 1 << 30 { return 0 }
        return UInt64(step - 1)
    }
}
