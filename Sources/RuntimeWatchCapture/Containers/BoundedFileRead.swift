// SPDX-License-Identifier: Apache-2.0
// Reads a small runtime-state file whole, refusing anything larger than a cap or not a regular file.
// A real config.json is a few KiB; the cap keeps a corrupt or hostile file from costing memory.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a bounded read did not return bytes.
enum BoundedReadFailure: Error, Equatable {
    /// ENOENT or ENOTDIR: nothing there, look in the next place.
    case missing
    case errno(Int32)
    case tooLarge(bytes: Int)
    case notRegularFile
}

enum BoundedFileRead {
    /// Returns the whole file at `path` if it is a regular file of at most `limit` bytes.
    /// Opens with O_NONBLOCK so a FIFO planted at the path cannot block the caller; retries EINTR.
    static func contents(of path: String, limit: Int) -> Result<[UInt8], BoundedReadFailure> {
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) } while fd < 0 && errno == EINTR
        if fd < 0 {
            let e = errno
            return .failure(e == ENOENT || e == ENOTDIR ? .missing : .errno(e))
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { return .failure(.errno(errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .failure(.notRegularFile) }
        if Int(info.st_size) > limit { return .failure(.tooLarge(bytes: Int(info.st_size))) }

        // Read at most limit + 1 bytes: a file that grew after fstat is still caught as too large.
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var used = 0
        while used < bytes.count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress! + used, buffer.count - used)
            }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(.errno(errno))
            }
            used += n
        }
        if used > limit { return .failure(.tooLarge(bytes: used)) }
        bytes.removeSubrange(used...)
        return .success(bytes)
    }
}
