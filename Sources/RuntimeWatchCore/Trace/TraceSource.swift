// SPDX-License-Identifier: Apache-2.0
// A recorded trace as an EventSource: what `replay`, `learn --from` and the golden tests read.
// Records that come from elsewhere (Kubernetes audit logs replayed with the trace) are merged in by
// time: each goes out just before the first trace record that is later than it.

import Synchronization

public final class TraceSource: RecordedEventSource, @unchecked Sendable {
    // @unchecked: everything but `stopped` is touched only by the single consumer; `stop()` may
    // come from a signal handler's task.
    /// The trace; nil when only merged records are replayed (audit logs alone).
    public let reader: TraceReader?
    public var name: String { reader.map { "trace \($0.source)" } ?? "records" }
    /// Records merged in by time, in time order (audit-log events replayed with the trace).
    private var merged: ArraySlice<EventRecord>
    /// The trace record read last, decoded in place (`TraceReader.next(into:)`).
    private var traceRecord = EventRecord.unset
    /// `traceRecord` is read but held back while earlier merged records go out.
    private var holdingTrace = false
    private var ended: Bool
    private let stopped = Atomic<Bool>(false)
    /// A trace with nothing merged in (every replay but one with audit logs): records are decoded
    /// straight into the caller's, with no state of this class read or changed per record (each
    /// such use was a run-time exclusivity check; BENCHMARKS section 29).
    private let traceAlone: Bool

    /// - Parameters:
    ///   - reader: the trace (its header is read by its first `next()` if not read before).
    ///   - merging: records to interleave by timestamp (sorted by time).
    public init(reader: TraceReader, merging: [EventRecord] = []) {
        self.reader = reader
        self.merged = merging[...]
        self.ended = false
        self.traceAlone = merging.isEmpty
    }

    /// Replays `records` alone (sorted by time).
    public init(records: [EventRecord]) {
        self.reader = nil
        self.merged = records[...]
        self.ended = true
        self.traceAlone = false
    }

    public func next() async throws -> SourceItem? {
        try nextRecord().map(SourceItem.event)
    }

    public func nextRecord(into record: inout EventRecord) throws(TraceError) -> Bool {
        if traceAlone, let reader {
            if stopped.load(ordering: .relaxed) { return false }
            if try reader.next(into: &record) { return true }
            ended = true   // at the end only (not read per record): health says the trace is done
            return false
        }
        guard let next = try nextRecord() else { return false }
        record = next
        return true
    }

    /// The next record of the trace or of the merged records, whichever is earlier (ties: the
    /// merged record first); nil at the end.
    /// - Throws: `TraceError` when the trace cannot be read at all (bad header, I/O error).
    public func nextRecord() throws(TraceError) -> EventRecord? {
        if stopped.load(ordering: .relaxed) { return nil }
        if !ended, let reader {
            let hasRecord = try holdingTrace ? true : reader.next(into: &traceRecord)
            if hasRecord {
                if let first = merged.first, first.timestamp <= traceRecord.timestamp {
                    holdingTrace = true
                    return merged.popFirst()
                }
                holdingTrace = false
                return traceRecord
            }
            ended = true
        }
        return merged.popFirst()
    }

    /// Ends the replay after the record being processed (SIGINT/SIGTERM); safe from any thread.
    public func stop() { stopped.store(true, ordering: .relaxed) }

    /// True when `stop()` ended the replay before the end of its input.
    public var wasStopped: Bool { stopped.load(ordering: .relaxed) }

    public var health: SourceHealth {
        SourceHealth(running: ["trace": !ended && !wasStopped], losses: [:])
    }
}
