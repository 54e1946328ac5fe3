// SPDX-License-Identifier: Apache-2.0
// A locked line writer over a FileHandle, shared by the stream and file sinks. Sinks are called from
// whichever task runs the engine (and the file sink's `reopen` from a signal handler task), so every
// write and handle swap happens under one lock. A failed write is counted, never fatal: losing an
// output must not stop detection. It is never silent either: the count and the first error (naming
// the output) are kept for the CLI to report and turn into a non-zero exit status.

import Foundation

final class LineWriter: @unchecked Sendable {
    private let lock = NSLock()
    private var handle: FileHandle?
    private var failures: UInt64 = 0
    private var firstError: String?
    /// The line being written, reused (under the lock) so its storage is allocated once.
    private var buffer: [UInt8] = []
    /// The output as a person names it ("standard output", a path), for error texts.
    let name: String

    init(handle: FileHandle?, name: String) { self.handle = handle; self.name = name }

    /// Writes `line` plus a newline. Returns false (and counts a failure) if there is no handle or
    /// the write failed (EPIPE, ENOSPC, EBADF).
    @discardableResult
    func write(_ line: String) -> Bool { write { $0.append(contentsOf: line.utf8) } }

    /// Writes the line `fill` appends (no newline; one is added) to a buffer kept between lines, so
    /// a JSON alert goes out without a String or Data per alert. `fill` runs under the lock.
    @discardableResult
    func write(_ fill: (inout [UInt8]) -> Void) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        buffer.removeAll(keepingCapacity: true)
        fill(&buffer)
        buffer.append(0x0A)
        guard let handle else { fail("it is not open"); return false }
        do {
            try handle.write(contentsOf: buffer)
            return true
        } catch {
            fail(Self.reason(error))
            return false
        }
    }

    /// Counts a failure and keeps the first one's text. Called under the lock.
    private func fail(_ reason: String) {
        failures &+= 1
        if firstError == nil { firstError = "writing alerts to \(name) failed: \(reason)" }
    }

    /// The system's message for a failed write ("No space left on device", "Broken pipe").
    private static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }

    /// Replaces the handle (closing the old one) under the lock.
    func swap(_ newHandle: FileHandle?) {
        lock.lock()
        let old = handle
        handle = newHandle
        lock.unlock()
        try? old?.close()
    }

    /// True if a handle is installed.
    var isOpen: Bool { lock.withLock { handle != nil } }

    /// Writes that failed so far.
    var failureCount: UInt64 { lock.withLock { failures } }

    /// The first failure, "writing alerts to NAME failed: REASON", or nil.
    var firstFailure: String? { lock.withLock { firstError } }

    func synchronize() {
        lock.withLock { try? handle?.synchronize() }
    }
}
