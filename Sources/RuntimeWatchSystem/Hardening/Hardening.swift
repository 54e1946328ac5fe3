// SPDX-License-Identifier: Apache-2.0
// Self-hardening at start-up, after every source is open: keep only the capabilities the steady
// state needs (on every thread), set no_new_privs, and load the seccomp allowlist (all threads).
// Order matters: capabilities first (capset is itself not in the allowlist), then the filter.

import Foundation
internal import CShims

/// What a refused syscall does (`--seccomp-action`).
public enum SeccompRefusal: String, Sendable, CaseIterable {
    /// SCMP_ACT_TRAP: the SIGSYS handler counts the syscall and makes it fail with EPERM; the
    /// monitor reports it (log line, metric, internal alert). The default.
    case errno
    /// SCMP_ACT_KILL_PROCESS: the kernel kills the monitor at once (audit log records the syscall).
    case kill
}

/// What `Hardening.apply` should leave in force.
public struct HardeningPlan: Sendable, Hashable {
    /// Capabilities kept in the effective, permitted and bounding sets; everything else is dropped.
    public var keep: CapabilitySet
    /// Syscall names allowed by the seccomp filter (native architecture).
    public var syscalls: [String]
    public var refusal: SeccompRefusal

    public init(keep: CapabilitySet, syscalls: [String] = SeccompPolicy.allowed, refusal: SeccompRefusal = .errno) {
        self.keep = keep; self.syscalls = syscalls; self.refusal = refusal
    }
}

/// What `Hardening.apply` did.
public struct HardeningReport: Sendable, Hashable {
    public var kept: CapabilitySet
    /// Capabilities the process held (effective or bounding) before and no longer holds.
    public var dropped: CapabilitySet
    /// Threads whose capabilities were reduced (the caller included).
    public var threads: Int
    /// Syscalls the filter allows.
    public var allowedSyscalls: Int
    public var refusal: SeccompRefusal
}

/// Why hardening failed. The process may be partly hardened: callers should stop rather than run.
public enum HardeningError: Error, CustomStringConvertible {
    case system(SystemError)
    /// A syscall name of the plan does not exist on this architecture.
    case unknownSyscall(String)
    /// Some threads still held other capabilities after every retry.
    case threadsNotRestricted([Int32: String])

    public var description: String {
        switch self {
        case .system(let e): "\(e)"
        case .unknownSyscall(let name): "seccomp: syscall \"\(name)\" is unknown on this architecture"
        case .threadsNotRestricted(let threads):
            "capabilities: \(threads.count) thread(s) kept other capabilities: " + threads.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
        }
    }
}

public enum Hardening {
    /// Drops every capability not in `plan.keep` from every thread (effective, permitted,
    /// inheritable, ambient, bounding), sets no_new_privs, and loads the seccomp filter on every
    /// thread. Returns what it did.
    /// - Throws: `HardeningError`; on error the process may be partly hardened.
    ///
    /// The corresponding C functions are `rw_caps_restrict_all_threads` (cap_set_proc(3) + a
    /// SIGSYS broadcast doing capset(2) on each other thread), `rw_nnp_set` (prctl(2)) and
    /// `rw_seccomp_install` (seccomp_load(3) with SCMP_FLTATR_CTL_TSYNC).
    public static func apply(_ plan: HardeningPlan) throws(HardeningError) -> HardeningReport {
        do {
            let before = try Capabilities.current().effective.mask | Capabilities.bounding().mask
            let threads = try restrictEveryThread(to: plan.keep)
            _ = try shimCall("prctl(PR_SET_NO_NEW_PRIVS)") { rw_nnp_set() }
            try installFilter(plan.syscalls, refusal: plan.refusal)
            return HardeningReport(kept: plan.keep, dropped: CapabilitySet(mask: before & ~plan.keep.mask),
                                   threads: threads, allowedSyscalls: Set(plan.syscalls).count, refusal: plan.refusal)
        } catch let error as SystemError {
            throw .system(error)
        } catch let error as HardeningError {
            throw error
        } catch {
            throw .system(SystemError(operation: "hardening", errno: .ioError))
        }
    }

    /// True when no_new_privs is set for the calling thread (`prctl(PR_GET_NO_NEW_PRIVS)`).
    public static func noNewPrivileges() throws(SystemError) -> Bool {
        try shimCall("prctl(PR_GET_NO_NEW_PRIVS)") { rw_nnp_get() } == 1
    }

    /// Capabilities are per thread: ask every thread to reduce itself, then check each one's
    /// /proc/self/task/<tid>/status, and repeat for threads that missed it or were created
    /// meanwhile by a thread not yet reduced (bounded: 50 rounds of up to 100 ms).
    /// Returns the number of threads checked in the final round.
    private static func restrictEveryThread(to keep: CapabilitySet) throws -> Int {
        var pending = taskIDs()
        var lastMismatch: [Int32: String] = [:]
        for _ in 0..<50 {
            _ = try shimCall("rw_caps_restrict_all_threads") {
                pending.withUnsafeBufferPointer { rw_caps_restrict_all_threads(keep.mask, $0.baseAddress, Int32($0.count)) }
            }
            for _ in 0..<20 {
                usleep(5_000)
                lastMismatch = mismatches(keep: keep)
                if lastMismatch.isEmpty { return taskIDs().count }
            }
            pending = lastMismatch.keys.sorted()
        }
        throw HardeningError.threadsNotRestricted(lastMismatch)
    }

    /// Threads of this process whose capability sets are not exactly `keep`, with what they hold.
    /// A thread that exits while being read is skipped.
    private static func mismatches(keep: CapabilitySet) -> [Int32: String] {
        var result: [Int32: String] = [:]
        for tid in taskIDs() {
            guard let status = try? String(contentsOfFile: "/proc/self/task/\(tid)/status", encoding: .utf8) else { continue }
            let sets = ThreadCapabilityStatus(parsing: status)
            if sets.effective != keep.mask || sets.permitted != keep.mask || sets.bounding != keep.mask || sets.ambient != 0 {
                result[tid] = sets.summary
            }
        }
        return result
    }

    private static func taskIDs() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).compactMap { Int32($0) }.sorted()
    }

    private static func installFilter(_ names: [String], refusal: SeccompRefusal) throws {
        var badIndex: Int32 = -1
        // strdup'd C strings, freed after loading.
        let cStrings = names.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        let pointers = cStrings.map { UnsafePointer($0) }
        let rc = pointers.withUnsafeBufferPointer {
            rw_seccomp_install($0.baseAddress, Int32($0.count), refusal == .kill ? RW_SECCOMP_REFUSE_KILL : RW_SECCOMP_REFUSE_TRAP, &badIndex)
        }
        if rc == -ENOENT, badIndex >= 0, Int(badIndex) < names.count { throw HardeningError.unknownSyscall(names[Int(badIndex)]) }
        if rc < 0 { throw SystemError(operation: "seccomp_load", errno: .init(rawValue: -rc)) }
    }
}

/// The capability lines of one /proc/<pid>/status or /proc/<pid>/task/<tid>/status file.
public struct ThreadCapabilityStatus: Sendable, Hashable {
    public var inheritable: UInt64 = 0
    public var permitted: UInt64 = 0
    public var effective: UInt64 = 0
    public var bounding: UInt64 = 0
    public var ambient: UInt64 = 0
    /// `Seccomp:` (0 off, 1 strict, 2 filter), nil when the line is missing.
    public var seccompMode: Int?
    /// `NoNewPrivs:`, nil when the line is missing.
    public var noNewPrivileges: Bool?

    /// Reads the `Cap*`, `Seccomp` and `NoNewPrivs` lines; missing or malformed lines leave 0/nil.
    public init(parsing status: String) {
        for line in status.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon], value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "CapInh": inheritable = UInt64(value, radix: 16) ?? 0
            case "CapPrm": permitted = UInt64(value, radix: 16) ?? 0
            case "CapEff": effective = UInt64(value, radix: 16) ?? 0
            case "CapBnd": bounding = UInt64(value, radix: 16) ?? 0
            case "CapAmb": ambient = UInt64(value, radix: 16) ?? 0
            case "Seccomp": seccompMode = Int(value)
            case "NoNewPrivs": noNewPrivileges = Int(value).map { $0 != 0 }
            default: break
            }
        }
    }

    var summary: String {
        "CapEff=\(CapabilitySet(mask: effective)) CapPrm=\(CapabilitySet(mask: permitted)) CapBnd=\(CapabilitySet(mask: bounding)) CapAmb=\(ambient)"
    }
}
