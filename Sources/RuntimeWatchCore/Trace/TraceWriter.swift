// SPDX-License-Identifier: Apache-2.0
// Writes a trace: the header line, then one EventRecord per line, exactly what TraceReader reads
// (`record` writes it, `replay` reads it). Buffered; the lines are written to the descriptor with
// plain write(2) so a partial write or EINTR never splits or loses a line.

import Foundation

/// Thread-safe: every method takes an internal lock, so several capture threads may share one
/// writer and their lines never interleave. Lines reach the file when the buffer fills, on
/// `flush()`, and on `close()`; call `flush()` at batch boundaries when a reader follows live.
/// Writing to a closed pipe raises SIGPIPE unless the process ignores it (the CLI does).
public final class TraceWriter: @unchecked Sendable {
    /// Where the trace goes, for error messages ("-" for standard output).
    public let destination: String
    /// Longest line written; longer records are refused (the reader would refuse them too).
    public let maxLineBytes: Int

    private let lock = NSLock()
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    /// Keeps a caller's FileHandle (and so its descriptor) alive as long as the writer.
    private let handle: FileHandle?
    private let flushThreshold: Int
    private var buffer: [UInt8] = []
    private var line: [UInt8] = []
    private var closed = false
    private var written: UInt64 = 0

    /// Writes to an open handle (a file, a pipe, standard output). The handle is not closed by
    /// `close()`; the caller owns it.
    /// - Parameter bufferBytes: lines are written out once this much is buffered.
    public init(fileHandle: FileHandle, name: String = "-", header: TraceHeader, bufferBytes: Int = 64 << 10,
                maxLineBytes: Int = TraceReader.defaultMaxLineBytes) {
        self.handle = fileHandle
        self.descriptor = fileHandle.fileDescriptor
        self.ownsDescriptor = false
        self.destination = name
        self.flushThreshold = max(bufferBytes, 1)
        self.maxLineBytes = maxLineBytes
        buffer.reserveCapacity(self.flushThreshold + 4096)
        buffer.append(contentsOf: header.jsonLine().utf8)
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Creates (or truncates) the file at `path`, mode 0640; "-" writes to standard output.
    /// - Throws: `TraceError.cannotOpen` naming the path and the system's reason.
    public convenience init(path: String, header: TraceHeader, bufferBytes: Int = 64 << 10,
                            maxLineBytes: Int = TraceReader.defaultMaxLineBytes) throws(TraceError) {
        if path == "-" {
            self.init(fileHandle: .standardOutput, name: "-", header: header, bufferBytes: bufferBytes, maxLineBytes: maxLineBytes)
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        let error = errno
        guard fd >= 0 else { throw TraceError.cannotOpen(path: path, reason: String(cString: strerror(error))) }
        self.init(descriptor: fd, name: path, header: header, bufferBytes: bufferBytes, maxLineBytes: maxLineBytes)
    }

    private init(descriptor: Int32, name: String, header: TraceHeader, bufferBytes: Int, maxLineBytes: Int) {
        self.handle = nil
        self.descriptor = descriptor
        self.ownsDescriptor = true
        self.destination = name
        self.flushThreshold = max(bufferBytes, 1)
        self.maxLineBytes = maxLineBytes
        buffer.append(contentsOf: header.jsonLine().utf8)
        buffer.append(UInt8(ascii: "\n"))
    }

    deinit {
        // Best effort: errors here have nobody to go to; `close()` is how a caller sees them.
        if !closed {
            try? drain()
            if ownsDescriptor { _ = Foundation.close(descriptor) }
        }
    }

    /// Records written so far (header excluded).
    public var recordsWritten: UInt64 { lock.withLock { written } }

    /// Appends one record.
    /// - Throws: `recordTooLong` (nothing written, the writer stays usable), `writeFailed`.
    public func write(_ record: EventRecord) throws(TraceError) {
        lock.lock()
        defer { lock.unlock() }
        try ensureOpen()
        line.removeAll(keepingCapacity: true)
        record.appendFastJSONLine(to: &line)
        guard line.count <= maxLineBytes else { throw TraceError.recordTooLong(bytes: line.count, limit: maxLineBytes) }
        buffer.append(contentsOf: line)
        buffer.append(UInt8(ascii: "\n"))
        written += 1
        if buffer.count >= flushThreshold { try drain() }
    }

    /// Writes out everything buffered.
    public func flush() throws(TraceError) {
        lock.lock()
        defer { lock.unlock() }
        try ensureOpen()
        try drain()
    }

    /// Flushes, then closes the file if the writer opened it. Further writes throw.
    public func close() throws(TraceError) {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        defer { if ownsDescriptor { _ = Foundation.close(descriptor) } }
        try drain()
    }

    private func ensureOpen() throws(TraceError) {
        if closed { throw TraceError.writeFailed(destination: destination, reason: "the writer is closed") }
    }

    /// Writes the whole buffer, retrying EINTR and partial writes. On failure the unwritten
    /// bytes stay buffered.
    private func drain() throws(TraceError) {
        var offset = 0
        defer { buffer.removeFirst(offset) }
        while offset < buffer.count {
            // errno is read right after the call, before anything else can overwrite it.
            let (n, error) = buffer.withUnsafeBytes { raw -> (Int, Int32) in
                let n = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                return (n, n < 0 ? errno : 0)
            }
            if n < 0 {
                if error == EINTR { continue }
                throw TraceError.writeFailed(destination: destination, reason: String(cString: strerror(error)))
            }
            offset += n
        }
    }
}
