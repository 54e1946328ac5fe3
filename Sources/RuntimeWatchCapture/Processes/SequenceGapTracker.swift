// SPDX-License-Identifier: Apache-2.0
// The kernel numbers proc connector events per CPU (cn_msg.seq, +1 per event sent on that CPU,
// sent in order under a per-CPU lock — drivers/connector/cn_proc.c send_msg). A gap in one CPU's
// numbers is exactly the number of events this socket did not get: the precise loss count that
// ENOBUFS alone does not give. The numbering includes the PROC_EVENT_NONE acks that the kernel
// multicasts to EVERY listener whenever ANY listener subscribes or unsubscribes (forkstat
// starting made each of our benchmark runs report exactly one phantom lost event).

import RuntimeWatchSystem

/// Counts events lost from per-CPU sequence gaps. Not thread-safe (used by the receive thread).
public struct SequenceGapTracker: Sendable {
    private var last: [UInt32: UInt32] = [:]
    public init() {}

    /// The `cpu` value of an ack that was NOT numbered: kernels before the per-CPU `send_msg`
    /// path (about 5.x) sent acks with `cpu = -1` and `seq` copied from the request.
    public static let unnumberedCPU = UInt32.max

    /// Records one decoded event, whatever its kind: acks (`.none`) are numbered like any other
    /// event on current kernels, so skipping them would count each as a lost event.
    /// - Returns: how many events were skipped before it on its CPU (0 normally, and always 0 for
    ///   an unnumbered ack, which leaves the baseline alone).
    public mutating func record(_ event: RawProcEvent) -> UInt64 {
        if event.kind == .none && event.cpu == Self.unnumberedCPU { return 0 }
        return record(cpu: event.cpu, sequence: event.sequence)
    }

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
