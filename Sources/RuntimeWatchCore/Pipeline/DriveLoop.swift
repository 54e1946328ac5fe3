// SPDX-License-Identifier: Apache-2.0
// The one loop that moves events from a source into the engine, for `run`, `record`, `learn`,
// `replay` and the golden tests alike: source → bounds (`EventBounds`) → (record) → engine →
// observers. Whatever differs between the commands is a hook here, never a loop of their own, so
// replay runs exactly what live runs from the source onward.

/// Where `record` and `run --record` write every event (a `TraceWriter`).
public protocol EventRecorder: AnyObject {
    func write(_ record: EventRecord) throws(TraceError)
    func flush() throws(TraceError)
}

extension TraceWriter: EventRecorder {}

/// A recorder write failed: the trace would silently miss events, so the drive ends with an error.
public struct RecordWriteError: Error, CustomStringConvertible {
    public var underlying: TraceError
    public var description: String { "cannot write the recorded trace: \(underlying)" }
}

public struct DriveLoop {
    /// The detection engine; nil when only recording (`record`).
    public var engine: Engine?
    /// Gets every event before the engine does (a failed write ends the drive).
    public var recorder: (any EventRecorder)?
    /// Called after the engine processed each event (`learn` reads the state here).
    public var observe: ((EventRecord, Engine?) -> Void)?
    /// SIGHUP: re-read profiles, reopen outputs.
    public var onReload: ((inout Engine?) -> Void)?
    /// Heartbeat (after the recorder was flushed).
    public var onTick: ((DriveProgress) -> Void)?
    /// Stop the source after this many events (`record --max-events`).
    public var maxEvents: UInt64?

    /// What the drive has done so far.
    public private(set) var progress = DriveProgress()

    public init(engine: Engine?, recorder: (any EventRecorder)? = nil) {
        self.engine = engine
        self.recorder = recorder
    }

    /// Feeds every item of `source` through, until it ends; then finishes the engine (open fold
    /// windows and pending drop reports go out).
    /// - Throws: `RecordWriteError` when the recorder fails (the source is stopped first), or what
    ///   the source throws when it cannot go on.
    public mutating func run<Source: EventSource>(_ source: Source) async throws {
        defer { engine?.finish() }
        var stopping = false
        // A recorded trace has every record at hand: it is read without an await per record and the
        // item wrapping it (the loop between decoder and engine was 0.6-0.9 s of a 1M-event replay's
        // 7.7-8.1 s; this took about 5% off; BENCHMARKS section 20). It yields no reloads or
        // heartbeats, so the events are all there is to drive.
        if let recorded = source as? any RecordedEventSource {
            var record = EventRecord.unset
            while try recorded.nextRecord(into: &record) {
                try take(record, from: source, stopping: &stopping)
            }
            return
        }
        while let item = try await source.next() {
            switch item {
            case .event(let incoming):
                try take(incoming, from: source, stopping: &stopping)
            case .reload:
                onReload?(&engine)
            case .tick(let at):
                engine?.tick(at: at)
                if let recorder {
                    do throws(TraceError) { try recorder.flush() } catch {
                        source.stop()
                        throw RecordWriteError(underlying: error)
                    }
                }
                progress.ticks &+= 1
                onTick?(progress)
            }
        }
    }

    /// One event, from whichever source: bounded, recorded, judged, observed, counted.
    private mutating func take(_ incoming: EventRecord, from source: some EventSource, stopping: inout Bool) throws {
        // The one place every event enters, live or replayed: cut to `EventBounds` before
        // it is recorded or judged, so a trace replays exactly what the engine saw live.
        let record = incoming.bounded()
        if let recorder {
            do throws(TraceError) { try recorder.write(record) } catch {
                source.stop()
                throw RecordWriteError(underlying: error)
            }
        }
        engine?.process(record)
        progress.events &+= 1
        if case .drop(let d) = record.event { progress.lost &+= d.count }
        observe?(record, engine)
        if let maxEvents, progress.events >= maxEvents, !stopping {
            stopping = true
            source.stop()
        }
    }
}

/// Counts kept by the drive loop.
public struct DriveProgress: Sendable, Hashable {
    /// Events delivered by the source (drop events included).
    public var events: UInt64 = 0
    /// Events the source reported lost (the sum of its `.drop` events).
    public var lost: UInt64 = 0
    public var ticks: UInt64 = 0
    public init() {}
}
