// SPDX-License-Identifier: Apache-2.0
// A self-pipe the token watcher's threads sleep on, so stop() and rescanNow() reach them at once
// instead of after their poll timeout. (A pipe rather than an eventfd: Swift's Glibc module does not
// export eventfd.)

import Glibc

struct WakeupSignal: Sendable {
    /// Read end: poll it for POLLIN.
    let fd: Int32
    private let writeEnd: Int32

    /// Returns nil when no pipe could be created (then threads only wake on their timeouts).
    init?() {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        fd = ends[0]
        writeEnd = ends[1]
    }

    /// Wakes the sleeper; a full pipe already means "wake up", so a failed write is fine.
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    func drain() {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            while read(fd, buffer.baseAddress, buffer.count) > 0 {}
        }
    }

    /// Sleeps until signalled or `timeoutMilliseconds` passed; consumes the signal.
    func wait(timeoutMilliseconds: Int32) {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&entry, 1, timeoutMilliseconds) > 0 { drain() }
    }

    func close() {
        _ = Glibc.close(fd)
        _ = Glibc.close(writeEnd)
    }
}
