// SPDX-License-Identifier: Apache-2.0
// Reads a trace as a stream of EventRecords: the replay source (Falco's savefile engine, Tetragon's
// io.Reader client). Streams from a file or any FileHandle (stdin, a pipe) without loading it; one
// bad line is reported and skipped, never the end of the replay.

import Foundation

/// Reads the header, then one `EventRecord` per line.
///
/// Decisions:
/// - **Header.** The first non-empty line is the header when it is a JSON object with a `format`
///   key; another format or version, or a header with a missing/mistyped field, is a thrown error
///   (reading a file of the wrong kind silently would make replay lie). A trace whose first line
///   is an event has no header: that is tolerated with a `.missingHeader` warning to the issue
///   handler, because hand-written fixtures and `grep`/`jq`-filtered traces lose it, and the line
///   is read as an event. A first line that is not a JSON object at all is `.notATrace`.
/// - **Bad lines.** A line that does not decode (not JSON, truncated, unknown `type`, a field
///   missing or mistyped, longer than `maxLineBytes`) goes to the issue handler as
///   `.malformedLine(number:reason:)` with its 1-based line number, is counted, and is skipped.
/// - Blank lines are skipped silently; a trailing `\r` (CRLF files) is ignored.
///
/// Not thread-safe: one reader is used by one thread or task at a time.
public final class TraceReader {
    /// Lines longer than this are malformed (1 MiB; an exec event is typically under 2 KiB).
    public static let defaultMaxLineBytes = 1 << 20

    /// What has been read so far.
    public struct Counts: Sendable, Hashable {
        /// Lines read, header and blank lines included.
        public var lines = 0
        /// Event records delivered.
        public var records = 0
        /// Lines reported as malformed and skipped.
        public var malformed = 0
        /// Lines the byte-level decoder left to JSONDecoder (malformed ones included): a new event
        /// type, an unusual field shape. Reading is correct either way, only slower.
        public var fallbackDecodes = 0
        public init() {}
    }

    /// The path, or "-" for standard input, for messages.
    public let source: String
    /// What has been read so far.
    public var counts: Counts { lineState.pointee.counts }
    /// The header, once read (nil before, or for a trace without one).
    public private(set) var header: TraceHeader?
    /// False sends every line through JSONDecoder (the reference path), to compare the two.
    public var usesFastDecoder: Bool {
        get { lineState.pointee.usesFastDecoder }
        set { lineState.pointee.usesFastDecoder = newValue }
    }

    private let lines: LineReader
    private let onIssue: (TraceError) -> Void
    private let decoder = JSONDecoder()
    private let handle: FileHandle?
    private let ownedDescriptor: Int32?
    /// The line the header was read from.
    private var headerLine: Int?

    /// What reading a line reads and changes. As stored properties of this class, each use on
    /// every line was a run-time exclusivity check (`swift_beginAccess`, 3-5% of a decode-only
    /// replay: BENCHMARKS section 29); behind a pointer it is not checked. What the checks guard
    /// against cannot happen here: one thread reads at a time, and no access to the state is held
    /// while another begins (the cursor is lent to the decoder, which does not call back).
    private struct LineState {
        /// The fast decoder's cursor, kept across lines for its buffers and string cache.
        var cursor = JSONLineCursor()
        var counts = Counts()
        var usesFastDecoder = true
        var headerRead = false
        /// The first line of a header-less trace, decoded while looking for the header.
        var pending: EventRecord?
    }
    private let lineState: UnsafeMutablePointer<LineState> = {
        let state = UnsafeMutablePointer<LineState>.allocate(capacity: 1)
        state.initialize(to: LineState())
        return state
    }()

    /// Reads from an open handle (standard input, a pipe, a file). The handle is not closed.
    /// - Parameter onIssue: receives each recoverable issue (`.malformedLine`, `.missingHeader`)
    ///   as it is found; reading continues after it returns.
    public init(fileHandle: FileHandle, name: String = "-", maxLineBytes: Int = TraceReader.defaultMaxLineBytes,
                onIssue: @escaping (TraceError) -> Void) {
        self.handle = fileHandle
        self.ownedDescriptor = nil
        self.source = name
        self.onIssue = onIssue
        self.lines = LineReader(descriptor: fileHandle.fileDescriptor, source: name, maxLineBytes: maxLineBytes)
    }

    /// Opens the trace at `path`; "-" reads standard input.
    /// - Throws: `TraceError.cannotOpen` with the system's reason.
    public init(path: String, maxLineBytes: Int = TraceReader.defaultMaxLineBytes,
                onIssue: @escaping (TraceError) -> Void) throws(TraceError) {
        self.source = path
        self.onIssue = onIssue
        if path == "-" {
            self.handle = FileHandle.standardInput
            self.ownedDescriptor = nil
            self.lines = LineReader(descriptor: FileHandle.standardInput.fileDescriptor, source: path, maxLineBytes: maxLineBytes)
        } else {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            let error = errno
            guard fd >= 0 else { throw TraceError.cannotOpen(path: path, reason: String(cString: strerror(error))) }
            self.handle = nil
            self.ownedDescriptor = fd
            self.lines = LineReader(descriptor: fd, source: path, maxLineBytes: maxLineBytes)
        }
    }

    deinit {
        if let fd = ownedDescriptor { _ = close(fd) }
        lineState.deinitialize(count: 1)
        lineState.deallocate()
    }

    /// Bytes read from the source so far.
    public var bytesRead: UInt64 { lines.bytesRead }

    /// Reads and validates the header, once (later calls return the same result).
    /// - Returns: the header, or nil for an empty trace or one without a header (after a
    ///   `.missingHeader` warning).
    /// - Throws: `.unsupportedFormat`, `.unsupportedVersion`, `.malformedHeader`, `.notATrace`,
    ///   `.readFailed`.
    @discardableResult
    public func readHeader() throws(TraceError) -> TraceHeader? {
        guard !lineState.pointee.headerRead else { return header }
        lineState.pointee.headerRead = true
        while let line = try lines.next() {
            lineState.pointee.counts.lines += 1
            let bytes: UnsafeRawBufferPointer
            switch line {
            case .tooLong(let length):
                throw TraceError.notATrace(reason: "line \(counts.lines) is \(length) bytes, over the \(lines.maxLineBytes)-byte line limit")
            case .text(let raw):
                bytes = trimmed(raw)
            }
            if bytes.isEmpty { continue }
            let probe: TraceHeaderProbe
            do {
                probe = try decode(TraceHeaderProbe.self, from: bytes)
            } catch let error as TraceError {
                throw error
            } catch let error as DecodingError {
                if case .typeMismatch(_, let context) = error, context.codingPath.isEmpty {
                    throw TraceError.notATrace(reason: "line \(counts.lines) is not a JSON object")
                }
                if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, JSONSyntax.firstError(in: bytes) != nil {
                    throw TraceError.notATrace(reason: "line \(counts.lines): \(traceDecodingReason(error, line: bytes))")
                }
                throw TraceError.malformedHeader(reason: traceDecodingReason(error, line: bytes))
            } catch {
                throw TraceError.malformedHeader(reason: "\(error)")
            }
            if let found = probe.header {
                header = found
                headerLine = counts.lines
                return found
            }
            onIssue(.missingHeader)
            lineState.pointee.pending = decodeRecord(bytes)
            return nil
        }
        return nil
    }

    /// The next record, or nil at end of input. Malformed lines are reported and skipped.
    /// - Throws: the header errors of `readHeader()` on the first call, `.readFailed`.
    public func next() throws(TraceError) -> EventRecord? {
        var record = EventRecord.unset
        return try next(into: &record) ? record : nil
    }

    /// `next()` into `record`, in place (a record returned through the layers above was copied at
    /// each: 13% of a decode-only replay). When this returns false, `record` means nothing.
    /// - Returns: false at end of input.
    public func next(into record: inout EventRecord) throws(TraceError) -> Bool {
        if !lineState.pointee.headerRead { try readHeader() }
        if let held = lineState.pointee.pending {
            lineState.pointee.pending = nil
            record = held
            return true
        }
        while let line = try lines.next() {
            lineState.pointee.counts.lines += 1
            switch line {
            case .tooLong(let length):
                report(reason: "line is \(length) bytes, over the \(lines.maxLineBytes)-byte line limit")
            case .text(let raw):
                let bytes = trimmed(raw)
                if bytes.isEmpty { continue }
                if decodeRecord(bytes, into: &record) { return true }
            }
        }
        return false
    }

    /// Calls `body` with every remaining record, in order.
    /// - Throws: what `next()` throws, or what `body` throws (reading stops there).
    public func forEach(_ body: (EventRecord) throws -> Void) throws {
        var record = EventRecord.unset
        while try next(into: &record) { try body(record) }
    }

    // MARK: - Decoding

    /// Decodes one event line; on failure reports it and returns nil. The byte-level decoder reads
    /// the lines it is sure of; JSONDecoder (the reference) reads the rest and explains failures.
    private func decodeRecord(_ bytes: UnsafeRawBufferPointer) -> EventRecord? {
        var record = EventRecord.unset
        return decodeRecord(bytes, into: &record) ? record : nil
    }

    /// The record on a trimmed line into `record`; false (reported) when the line is malformed.
    /// A line the fast decoder leaves to JSONDecoder may have changed `record` before it did; a
    /// malformed line leaves it so (the callers only read it after true).
    private func decodeRecord(_ bytes: UnsafeRawBufferPointer, into record: inout EventRecord) -> Bool {
        if lineState.pointee.usesFastDecoder, FastTraceDecoder.decode(bytes, reusing: &lineState.pointee.cursor, into: &record) {
            lineState.pointee.counts.records += 1
            return true
        }
        lineState.pointee.counts.fallbackDecodes += 1
        do {
            record = try decode(EventRecord.self, from: bytes)
            lineState.pointee.counts.records += 1
            return true
        } catch {
            report(reason: reason(for: error, line: bytes))
            return false
        }
    }

    /// The malformed-line reason for an event line that did not decode.
    private func reason(for error: any Error, line bytes: UnsafeRawBufferPointer) -> String {
        // A second header (two traces joined with cat) has no "ts": say what it is instead.
        if case DecodingError.keyNotFound? = error as? DecodingError,
           let probe = try? decode(TraceHeaderProbe.self, from: bytes), probe.header != nil {
            let first = headerLine.map { "; the header is line \($0)" } ?? ""
            return "a second trace header, not an event (two traces joined?)\(first)"
        }
        return traceDecodingReason(error, line: bytes) { variant in
            do {
                _ = try self.decoder.decode(EventRecord.self, from: Data(variant))
                return false
            } catch {
                return isFieldlessDataCorrupted(error)
            }
        }
    }

    private func report(reason: String) {
        lineState.pointee.counts.malformed += 1
        onIssue(.malformedLine(number: counts.lines, reason: reason))
    }

    /// Decodes straight from the read buffer: the Data borrows the bytes, nothing is copied.
    private func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), count: bytes.count, deallocator: .none)
        return try decoder.decode(type, from: data)
    }

    /// The line without surrounding spaces, tabs and a CR.
    private func trimmed(_ raw: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var lower = 0, upper = raw.count
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }
        while lower < upper, isSpace(raw[lower]) { lower += 1 }
        while upper > lower, isSpace(raw[upper - 1]) { upper -= 1 }
        return UnsafeRawBufferPointer(rebasing: raw[lower..<upper])
    }
}
