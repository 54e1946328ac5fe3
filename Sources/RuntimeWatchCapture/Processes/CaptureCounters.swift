// SPDX-License-Identifier: Apache-2.0
// Thread-safe counters of what capture did: events emitted by kind, events lost by cause, how
// /proc reads went. Written by the receive thread, read by anyone (metrics, tests, benchmarks).

import Foundation

/// A consistent copy of the counters at one moment.
public struct CaptureStatistics: Sendable, Hashable {
    /// Events put on the output stream, by `Event.kind` ("exec", "fork", "snapshot", "drop", …).
    public var eventsByKind: [String: UInt64] = [:]
    /// Events lost, by cause: "proc_connector" (kernel side; the exact count from the per-CPU
    /// sequence gaps — see `LossAccounting`), "queue" (output stream full).
    public var dropsByCause: [String: UInt64] = [:]
    /// /proc reads by outcome (exec-time and snapshot reads).
    public var procReads: [ProcReadOutcome: UInt64] = [:]
    /// Oddities found in /proc files (truncated, garbage); each also logged at debug level.
    public var procReadIssues: UInt64 = 0
    /// ENOBUFS results from the proc connector.
    public var overflows: UInt64 = 0
    /// Events missing from the per-CPU sequence numbers (the exact kernel-side loss).
    public var sequenceGapEvents: UInt64 = 0
    /// Events that arrived after a later-numbered event of their CPU (the exec socket and the other
    /// one are drained one after the other): counted in a gap, then taken back from
    /// `sequenceGapEvents` unless the gap was already reported.
    public var lateEvents: UInt64 = 0
    /// Datagrams with a malformed message (decoding stopped at it).
    public var malformedDatagrams: UInt64 = 0
    /// Thread-level events filtered out (thread fork/exit, a thread's comm/uid/gid change).
    public var threadEventsFiltered: UInt64 = 0
    /// /proc rescans after a loss.
    public var resyncs: UInt64 = 0
    /// Receive calls that failed with an error other than overflow/timeout.
    public var receiveErrors: UInt64 = 0

    public init() {}

    /// Total events emitted.
    public var totalEvents: UInt64 { eventsByKind.values.reduce(0, +) }
}

/// Lock-protected `CaptureStatistics`.
public final class CaptureCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var stats = CaptureStatistics()

    public init() {}

    /// A copy of the current counters.
    public func snapshot() -> CaptureStatistics {
        lock.lock(); defer { lock.unlock() }
        return stats
    }

    func update(_ change: (inout CaptureStatistics) -> Void) {
        lock.lock(); defer { lock.unlock() }
        change(&stats)
    }

    func emitted(_ kind: String) { update { $0.eventsByKind[kind, default: 0] += 1 } }
    func dropped(_ cause: String, _ count: UInt64 = 1) { update { $0.dropsByCause[cause, default: 0] += count } }
    func read(_ outcome: ProcReadOutcome, issues: Int) {
        update {
            $0.procReads[outcome, default: 0] += 1
            $0.procReadIssues += UInt64(issues)
        }
    }
}
