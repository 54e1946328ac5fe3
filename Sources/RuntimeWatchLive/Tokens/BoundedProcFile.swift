// SPDX-License-Identifier: Apache-2.0
// Bounded reads of /proc files for the token watcher's hot path: a fixed byte limit per file and no
// Foundation, so the time an opener is held stays small and predictable. Temporary: the integrator
// replaces this with the shared ProcReader.

import Glibc

enum BoundedProcFile {
    /// Reads at most `limit` bytes of `path`. Returns nil when the file cannot be opened or read
    /// (the process exited: ENOENT/ESRCH, or access denied); a file longer than `limit` is cut.
    static func read(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(limit, 4096))
        let ok = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { chunk -> Bool in
            while bytes.count < limit {
                let n = Glibc.read(fd, chunk.baseAddress, min(chunk.count, limit - bytes.count))
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                if n == 0 { break }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<n]))
            }
            return true
        }
        return ok ? bytes : nil
    }

    /// Reads up to `count` bytes at `offset` of `path` (used for /proc/<tid>/mem). Returns nil on any
    /// failure or a short read.
    static func pread(_ path: String, offset: UInt64, count: Int) -> [UInt8]? {
        guard offset <= UInt64(Int64.max) else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress, count, off_t(offset)) }
        return n == count ? bytes : nil
    }

    /// `readlink(2)` of `path`, or nil. Targets longer than 4096 bytes are treated as unreadable.
    static func readlink(_ path: String) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 4097) { buffer -> String? in
            let n = Glibc.readlink(path, buffer.baseAddress!, 4097)
            guard n >= 0, n < 4097 else { return nil }
            buffer[n] = 0
            return String(cString: buffer.baseAddress!)
        }
    }
}
