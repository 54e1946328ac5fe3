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

    /// - Parameters:
    ///   - reader: the trace (its header is read by its first `next()` if not read before).
    ///   - merging: records to interleave by timestamp (sorted by time).
    public init(reader: TraceReader, merging: [EventRecord] = []) {
        self.reader = reader
        self.merged = merging[...]
        self.ended = false
    }

    /// Replays `records` alone (sorted by time).
    public init(records: [EventRecord]) {
        self.reader = nil
        self.merged = records[...]
        self.ended = true
    }

    public func next() async throws -> SourceItem? {
        try nextRecord().map(SourceItem.event)
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
