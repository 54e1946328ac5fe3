// SPDX-License-Identifier: Apache-2.0
// A locked line writer over a FileHandle, shared by the stream and file sinks. Sinks are called from
// whichever task runs the engine (and the file sink's `reopen` from a signal handler task), so every
// write and handle swap happens under one lock. A failed write is counted, never fatal: losing an
// output must not stop detection.

import Foundation

final class LineWriter: @unchecked Sendable {
    private let lock = NSLock()
    private var handle: FileHandle?
    private var failures: UInt64 = 0

    init(handle: FileHandle?) { self.handle = handle }

    /// Writes `line` plus a newline. Returns false (and counts a failure) if there is no handle or
    /// the write failed (EPIPE, ENOSPC, EBADF).
    @discardableResult
    func write(_ line: String) -> Bool {
        var data = Data(line.utf8)
        data.append(0x0A)
        lock.lock()
        defer { lock.unlock() }
        guard let handle else { failures &+= 1; return false }
        do {
            try handle.write(contentsOf: data)
            return true
        } catch {
            failures &+= 1
            return false
        }
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

    func synchronize() {
        lock.withLock { try? handle?.synchronize() }
    }
}
