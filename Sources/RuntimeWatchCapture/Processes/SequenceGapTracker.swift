// SPDX-License-Identifier: Apache-2.0
// The kernel numbers proc connector events per CPU (cn_msg.seq, +1 per event sent on that CPU,
// sent in order under a per-CPU lock — drivers/connector/cn_proc.c send_msg). A gap in one CPU's
// numbers is exactly the number of events this socket did not get: the precise loss count that
// ENOBUFS alone does not give. The numbering includes the PROC_EVENT_NONE acks that the kernel
// multicasts to EVERY listener whenever ANY listener subscribes or unsubscribes (forkstat
// starting made each of our benchmark runs report exactly one phantom lost event).

import RuntimeWatchSystem

/// What one event's number says: how many events numbered before it on its CPU have not arrived, or
/// that it is one of those, arriving after all.
public struct SequenceStep: Sendable, Hashable {
    /// Events numbered before this one on its CPU, after the last one seen, that have not arrived
    /// (0 normally).
    public var skipped: UInt64 = 0
    /// This event was counted skipped when a later-numbered event of its CPU came first.
    public var arrivedLate = false

    public init(skipped: UInt64 = 0, arrivedLate: Bool = false) {
        self.skipped = skipped; self.arrivedLate = arrivedLate
    }
}

/// Counts events lost from per-CPU sequence gaps. Not thread-safe (used by the receive thread).
///
/// An event can arrive after a later-numbered one of its CPU without being lost: capture reads two
/// connector sockets (execs, everything else), one after the other, and an event sent to the socket
/// already drained waits for the next wake-up while a later exec, sent to the other, is taken now.
/// So the numbers counted skipped are remembered (the last `rememberedMissing` per CPU), and one of
/// them arriving after all is said to have (`SequenceStep.arrivedLate`), for the loss to be taken
/// back. Before, such an event was taken for a counter reset, and the next event counted it again:
/// two phantom losses per reordering, reported as drops (2-3 events in 3 of 18 storms of 5,000 execs
/// at 2 workers, BENCHMARKS.md section 16).
public struct SequenceGapTracker: Sendable {
    private var last: [UInt32: UInt32] = [:]
    /// Per CPU, the numbers counted skipped and not arrived since (oldest first); touched only
    /// when a number is skipped or comes late, so the per-event path stays one dictionary update.
    private var missing: [UInt32: [UInt32]] = [:]
    /// Skipped numbers remembered per CPU. A reordering skips one or two; a real overrun skips
    /// thousands that never come.
    public static let rememberedMissing = 64
    /// A step forward larger than this, or back further than this, is a counter reset, not a loss.
    static let resetDistance: UInt32 = 1 << 30

    public init() {}

    /// The `cpu` value of an ack that was NOT numbered: kernels before the per-CPU `send_msg`
    /// path (about 5.x) sent acks with `cpu = -1` and `seq` copied from the request.
    public static let unnumberedCPU = UInt32.max

    /// Records one decoded event, whatever its kind: acks (`.none`) are numbered like any other
    /// event on current kernels, so skipping them would count each as a lost event. An unnumbered
    /// ack leaves the baseline alone.
    public mutating func record(_ event: RawProcEvent) -> SequenceStep {
        if event.kind == .none && event.cpu == Self.unnumberedCPU { return SequenceStep() }
        return record(cpu: event.cpu, sequence: event.sequence)
    }

    /// Records one event's (cpu, sequence). The first event per CPU sets the baseline. A number
    /// already seen, or older than the last and not counted skipped, changes nothing.
    public mutating func record(cpu: UInt32, sequence: UInt32) -> SequenceStep {
        guard let previous = last[cpu] else {
            last[cpu] = sequence
            return SequenceStep()
        }
        let forward = sequence &- previous
        if forward == 0 { return SequenceStep() }
        if forward <= Self.resetDistance {
            last[cpu] = sequence
            let skipped = forward - 1
            if skipped > 0 { rememberSkipped(cpu: cpu, after: previous, before: sequence, count: skipped) }
            return SequenceStep(skipped: UInt64(skipped))
        }
        if var numbers = missing[cpu], let i = numbers.firstIndex(of: sequence) {
            numbers.remove(at: i)
            missing[cpu] = numbers.isEmpty ? nil : numbers
            return SequenceStep(arrivedLate: true)
        }
        if previous &- sequence > Self.resetDistance {
            last[cpu] = sequence
            missing[cpu] = nil
        }
        return SequenceStep()
    }

    private mutating func rememberSkipped(cpu: UInt32, after previous: UInt32, before next: UInt32, count: UInt32) {
        var numbers = missing.removeValue(forKey: cpu) ?? []
        var n = count > UInt32(Self.rememberedMissing) ? next &- UInt32(Self.rememberedMissing) : previous &+ 1
        while n != next {
            numbers.append(n)
            n &+= 1
        }
        if numbers.count > Self.rememberedMissing { numbers.removeFirst(numbers.count - Self.rememberedMissing) }
        missing[cpu] = numbers
    }
}
