// SPDX-License-Identifier: Apache-2.0
// The one interface between capture and everything after it. A recorded trace and the live host are
// two implementations of it (Falco's savefile engine, Tetragon's io-reader client), and one drive
// loop (`DriveLoop`) feeds the engine from any of them, so replay runs exactly what live runs from
// the source onward.

/// What a source hands to the drive loop, in delivery order.
public enum SourceItem: Sendable {
    /// One observation (including `.drop` events that report the source's own losses).
    case event(EventRecord)
    /// Re-read the profiles and reopen outputs (SIGHUP on a live run).
    case reload
    /// Periodic heartbeat at wall-clock time `at` (the clock events are stamped with): progress
    /// lines, flushing a trace being recorded, releasing alerts the engine holds.
    case tick(at: UInt64)
}

/// How a source is doing, for `/healthz` and the final summary.
public struct SourceHealth: Sendable, Hashable {
    /// Sub-sources and whether each is running ("proc_connector": true, "fanotify": false, …).
    public var running: [String: Bool]
    /// Events lost so far by "source/cause" (the same counts the `.drop` events carried).
    public var losses: [String: UInt64]
    public init(running: [String: Bool] = [:], losses: [String: UInt64] = [:]) {
        self.running = running
        self.losses = losses
    }
}

/// A source of events: an async sequence of `SourceItem`s that also reports its losses and health.
///
/// Contract: `next()` returns items in delivery order and nil once the source has ended (the trace
/// is read to its end, or `stop()` was called and everything queued was delivered). It throws only
/// when the source cannot go on at all (an unreadable trace); a bad line or a lost event is
/// reported (`onIssue`, `.drop` events) and the source goes on.
public protocol EventSource: AnyObject, AsyncSequence where Element == SourceItem {
    /// For messages: "trace run.jsonl", "live capture".
    var name: String { get }
    /// The next item, or nil at the end.
    func next() async throws -> SourceItem?
    /// Asks the source to end; `next()` returns nil once what was already queued is delivered.
    func stop()
    /// Losses and sub-source states so far.
    var health: SourceHealth { get }
}

/// A source whose records are all at hand (a recorded trace): `DriveLoop` reads it with
/// `nextRecord(into:)`, without an await per record. Such a source has no reloads or heartbeats;
/// its `next()` must return the same records, as `.event` items, for any other reader.
public protocol RecordedEventSource: EventSource {
    /// The next record into `record`, in place (it may reuse what `record` held).
    /// - Returns: false at the end (or once `stop()` was called); `record` then means nothing.
    func nextRecord(into record: inout EventRecord) throws(TraceError) -> Bool
}

/// Iterates any source (`for try await item in source`).
public struct EventSourceIterator<Source: EventSource>: AsyncIteratorProtocol {
    let source: Source
    public mutating func next() async throws -> SourceItem? { try await source.next() }
}

extension EventSource {
    public func makeAsyncIterator() -> EventSourceIterator<Self> { EventSourceIterator(source: self) }
}
