// SPDX-License-Identifier: Apache-2.0
// Turns the SIGSYS handler's per-syscall counters into "syscall X was refused N more times", so the
// monitor can log, count and alert on every refusal instead of failing silently.

internal import CShims
import SystemPackage

/// Syscall `name` (number `number` on this architecture) was refused `count` times since the last poll.
public struct SyscallRefusal: Sendable, Hashable {
    public var number: Int
    public var name: String
    public var count: UInt64
}

/// Reads the refusal counters kept by the seccomp trap handler. Not thread-safe: one poller owns it.
public struct SeccompRefusalCounter: Sendable {
    private var previous = [UInt64](repeating: 0, count: Int(RW_SECCOMP_COUNTERS))

    public init() {}

    /// The refusals since the previous call (or since start), by syscall number ascending.
    public mutating func poll() -> [SyscallRefusal] {
        var now = [UInt64](repeating: 0, count: previous.count)
        let n = now.withUnsafeMutableBufferPointer { Int(rw_seccomp_refusals($0.baseAddress, Int32($0.count))) }
        var result: [SyscallRefusal] = []
        for nr in 0..<n where now[nr] != previous[nr] {
            let name = nr == n - 1 ? "syscall>=\(nr)" : Seccomp.name(of: nr) ?? "syscall \(nr)"
            result.append(SyscallRefusal(number: nr, name: name, count: now[nr] &- previous[nr]))
        }
        previous = now
        return result
    }
}

/// Syscall names and numbers on the native architecture (libseccomp).
public enum Seccomp {
    /// The number of syscall `name` here, or nil when it does not exist natively.
    /// The corresponding C function is `seccomp_syscall_resolve_name(3)`.
    public static func number(of name: String) -> Int? {
        let rc = rw_seccomp_resolve(name)
        return rc >= 0 ? Int(rc) : nil
    }

    /// The name of syscall `number` here, or nil when unknown.
    /// The corresponding C function is `seccomp_syscall_resolve_num_arch(3)`.
    public static func name(of number: Int) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let length = buffer.withUnsafeMutableBufferPointer { rw_seccomp_name(Int32(number), $0.baseAddress, $0.count) }
        guard length > 0 else { return nil }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// TEST ONLY (reached through RW_TEST_FORBIDDEN_SYSCALL): makes one `unshare(0)` call, a
    /// syscall the steady-state filter never allows (a no-op when it is allowed).
    /// Returns nil when it succeeded, else the errno it failed with (EPERM once hardened).
    public static func callForbiddenSyscallForTesting() -> Errno? {
        let rc = rw_hardening_test_forbidden_syscall()
        return rc == 0 ? nil : Errno(rawValue: -rc)
    }
}
