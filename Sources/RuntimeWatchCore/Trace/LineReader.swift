// SPDX-License-Identifier: Apache-2.0
// Splits a byte stream into lines without loading it: reads big chunks with read(2) into one
// buffer and finds newlines with memchr, so a line costs no allocation. A line longer than the
// limit is skipped without buffering it (only its length is reported), which bounds memory on
// hostile input.

import Foundation

final class LineReader {
    enum Line {
        /// The line's bytes, newline excluded; valid until the next call to `next()`.
        case text(UnsafeRawBufferPointer)
        /// A line longer than the limit, skipped; its length in bytes.
        case tooLong(Int)
    }

    let source: String
    let maxLineBytes: Int
    private let descriptor: Int32
    private let capacity: Int
    private let buffer: UnsafeMutableRawPointer
    private var start = 0
    private var end = 0
    private var atEOF = false
    /// Bytes read so far.
    private(set) var bytesRead: UInt64 = 0

    /// - Parameters:
    ///   - descriptor: read from, not closed.
    ///   - chunkBytes: size of each read; the buffer holds at least one maximal line on top.
    init(descriptor: Int32, source: String, maxLineBytes: Int, chunkBytes: Int = 1 << 20) {
        self.descriptor = descriptor
        self.source = source
        self.maxLineBytes = max(maxLineBytes, 1)
        self.capacity = self.maxLineBytes + max(chunkBytes, 4096)
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The next line, or nil at end of input. A last line without newline is still a line.
    /// - Throws: `TraceError.readFailed` when read(2) fails.
    func next() throws(TraceError) -> Line? {
        while true {
            if start < end, let newline = memchr(buffer + start, 0x0A, end - start) {
                let lineStart = start
                let length = buffer.distance(to: newline) - lineStart
                start += length + 1
                if length > maxLineBytes { return .tooLong(length) }
                return .text(UnsafeRawBufferPointer(start: buffer + lineStart, count: length))
            }
            if atEOF {
                guard start < end else { return nil }
                let lineStart = start, length = end - start
                start = end
                if length > maxLineBytes { return .tooLong(length) }
                return .text(UnsafeRawBufferPointer(start: buffer + lineStart, count: length))
            }
            if end - start > maxLineBytes { return .tooLong(try skipRestOfLine()) }
            if start > 0 {
                if end > start { memmove(buffer, buffer + start, end - start) }
                end -= start
                start = 0
            }
            try fill()
        }
    }

    /// Discards the buffered part of an over-long line and everything up to its newline.
    /// - Returns: the line's total length.
    private func skipRestOfLine() throws(TraceError) -> Int {
        var length = end - start
        start = 0
        end = 0
        while !atEOF {
            try fill()
            if let newline = memchr(buffer, 0x0A, end) {
                let consumed = buffer.distance(to: newline)
                length += consumed
                start = consumed + 1
                return length
            }
            length += end
            end = 0
        }
        return length
    }

    /// Reads more bytes after `end`; sets `atEOF` on end of input. Retries EINTR.
    private func fill() throws(TraceError) {
        while true {
            let n = read(descriptor, buffer + end, capacity - end)
            if n > 0 {
                end += n
                bytesRead += UInt64(n)
                return
            }
            if n == 0 {
                atEOF = true
                return
            }
            let error = errno
            if error == EINTR { continue }
            throw TraceError.readFailed(source: source, reason: String(cString: strerror(error)))
        }
    }
}
