// SPDX-License-Identifier: Apache-2.0
// Turns the two loss signals of a numbered kernel source into drop reports without double
// counting: the proc connector (events numbered per CPU) and connect audit (events numbered by their
// audit serial). ENOBUFS says "something was lost" at once but not how much; the gaps in the numbers
// say exactly how much, but only when the next numbered event arrives. A report waits up to `delay`
// for the gaps to show; if an overflow must be reported before any gap is known, it counts 1 ("at
// least one"), and that 1 is subtracted from the gaps found later.

import RuntimeWatchCore

/// Pending loss, and when to report it. Pure; owned by the receive thread.
public struct LossAccounting: Sendable, Hashable {
    /// How long a report waits for sequence gaps after the first sign of loss (nanoseconds).
    public let delayNanoseconds: UInt64
    /// Events known lost (from gaps) and not yet reported.
    public private(set) var pendingGapEvents: UInt64 = 0
    /// ENOBUFS results not yet reported.
    public private(set) var pendingOverflows: UInt64 = 0
    /// Monotonic time of the first unreported sign of loss; nil when nothing is pending.
    public private(set) var pendingSince: UInt64?
    /// Events already reported as "at least 1" whose gap has not been seen yet.
    private var credit: UInt64 = 0
    /// The source the drop reports name, and what the gaps are gaps in (for their reason).
    public let source: String
    public let numbering: String

    public init(delayNanoseconds: UInt64, source: String = CaptureSource.procConnector,
                numbering: String = "per-CPU sequence numbers") {
        self.delayNanoseconds = delayNanoseconds
        self.source = source
        self.numbering = numbering
    }

    /// The socket reported ENOBUFS at monotonic time `now`.
    public mutating func overflow(now: UInt64) {
        pendingOverflows += 1
        pendingSince = pendingSince ?? now
    }

    /// A sequence gap showed `events` missing events at `now`.
    public mutating func gap(_ events: UInt64, now: UInt64) {
        let covered = min(events, credit)
        credit -= covered
        let rest = events - covered
        guard rest > 0 else { return }
        pendingGapEvents += rest
        pendingSince = pendingSince ?? now
    }

    /// An event counted in a gap arrived after all (`SequenceStep.arrivedLate`): it is taken back
    /// from the loss not yet reported.
    /// - Returns: false when it was already reported (the report then over-counts by one).
    public mutating func arrivedLate() -> Bool {
        guard pendingGapEvents > 0 else { return false }
        pendingGapEvents -= 1
        if pendingGapEvents == 0 && pendingOverflows == 0 { pendingSince = nil }
        return true
    }

    /// True when a report should be made now: loss is pending and either `delay` has passed or the
    /// connector is idle (no more events will reveal gaps soon).
    public func isDue(now: UInt64, idle: Bool) -> Bool {
        guard let since = pendingSince else { return false }
        return idle || now &- since >= delayNanoseconds
    }

    /// The drop event for everything pending (and clears it), or nil if nothing is pending.
    public mutating func takeReport() -> DropEvent? {
        guard pendingSince != nil else { return nil }
        defer {
            pendingGapEvents = 0
            pendingOverflows = 0
            pendingSince = nil
        }
        var count = pendingGapEvents
        var reason = pendingOverflows > 0 ? "receive buffer overflow (ENOBUFS x\(pendingOverflows))" : "sequence gap"
        if count > 0 {
            reason += ": \(count) events missing from \(numbering)"
        } else {
            count = 1
            credit += 1
            reason += ": at least 1 event lost (exact count not yet known)"
        }
        return DropEvent(source: source, count: count, reason: reason,
                         cause: pendingOverflows > 0 ? "kernel_overflow" : "sequence_gap")
    }
}
