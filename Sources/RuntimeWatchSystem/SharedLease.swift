// SPDX-License-Identifier: Apache-2.0
// Lets several runtime-watch instances on one host share kernel state they change (the audit
// connect rule and the audit enabled flag): each holds a lease while it runs, and only the last
// one out removes the state and restores what the first one in found. Built on OFD byte-range
// locks, which the kernel drops when a holder dies, so a crashed instance never blocks cleanup.

internal import CShims
import Synchronization
import SystemPackage
#if canImport(Glibc)
internal import Glibc
#endif

/// Something held exclusively for a short step: a `SharedLease`, or several taken in one order.
public protocol ExclusiveStep {
    /// Runs `body` while no other instance is between its own steps; returns what `body` returns.
    func exclusively<T>(_ body: () throws -> T) throws -> T
}

extension Optional where Wrapped: ExclusiveStep {
    /// Runs `body` holding the lease exclusively, or just runs it without one: an instance that
    /// could not take its lease (no writable lease directory) acts as the only one.
    public func exclusivelyIfHeld<T>(_ body: () throws -> T) throws -> T {
        if let held = self { try held.exclusively(body) } else { try body() }
    }
}

/// One instance's lease on a shared lease file. Byte 0 serialises start-up and shut-down steps
/// between instances; every holder owns one byte at offset >= 1; the file's text is the state the
/// first instance saved for the last one.
public final class SharedLease: ExclusiveStep, Sendable {
    public let path: String
    private let fd: Int32
    private let slot: Int64
    private let released = Mutex(false)

    /// Slots are pid-based so instances in different processes never collide; the counter keeps
    /// two leases of one process (tests) apart.
    private static let nextInProcess = Atomic<Int64>(0)

    /// Opens `path` (creating it and its directory) and takes a holder slot.
    /// - Throws: `SystemError` when the file cannot be opened or locked.
    public init(path: String) throws(SystemError) {
        self.path = path
        let opened = try shimCall("lease_open") { path.withCString { rw_lease_open($0) } }
        let base = Int64(getpid()) << 16
        var taken: Int64?
        for _ in 0..<64 {
            let candidate = 1 + base + Self.nextInProcess.wrappingAdd(1, ordering: .relaxed).newValue
            if rw_lease_lock(opened, candidate, 0) == 0 { taken = candidate; break }
        }
        fd = opened
        guard let taken else {
            Glibc.close(opened)
            throw SystemError(operation: "lease_lock", errno: .resourceTemporarilyUnavailable)
        }
        slot = taken
    }

    deinit { release() }

    /// Runs `body` while no other instance is between its own start-up or shut-down steps.
    /// - Returns: what `body` returns.
    public func exclusively<T>(_ body: () throws -> T) throws -> T {
        _ = try shimCall("lease_lock") { rw_lease_lock(fd, 0, 1) }
        defer { _ = rw_lease_unlock(fd, 0) }
        return try body()
    }

    /// Whether another live instance holds a lease on the same file.
    /// - Returns: false when this is the only holder (then it is first in, or last out).
    public func othersHold() throws(SystemError) -> Bool {
        try shimCall("lease_others_hold") { rw_lease_others_hold(fd, 1) } == 1
    }

    /// The state the first holder saved ("" when none).
    public func savedState() -> String {
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: bytes[..<n], as: UTF8.self) : ""
    }

    /// Replaces the saved state.
    public func save(_ text: String) throws(SystemError) {
        let bytes = Array(text.utf8)
        _ = try shimCall("lease_truncate") { ftruncate(fd, 0) == 0 ? Int32(0) : -errno }
        _ = try shimCall("lease_write") { bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) == $0.count ? Int32(0) : -errno } }
    }

    /// Gives the slot up and closes the file; idempotent.
    public func release() {
        guard released.withLock({ done in defer { done = true }; return !done }) else { return }
        _ = rw_lease_unlock(fd, slot)
        Glibc.close(fd)
    }
}
