// SPDX-License-Identifier: Apache-2.0
// Linux capabilities as typed values: a set is a 64-bit mask (bit n = capability n, the layout of
// CapEff/CapPrm/CapBnd in /proc/<pid>/status); names come from libcap so they match the kernel
// headers libcap was built against (`CAP_SYS_ADMIN`, the spelling Falco and the man pages use).

internal import CShims

/// A set of capabilities: bit n is capability number n.
public struct CapabilitySet: Hashable, Sendable, CustomStringConvertible {
    public var mask: UInt64
    public init(mask: UInt64) { self.mask = mask }

    /// The set of the given capability numbers (numbers outside 0...63 are ignored).
    public init(numbers: some Sequence<Int>) {
        mask = numbers.reduce(0) { (0...63).contains($1) ? $0 | (1 << UInt64($1)) : $0 }
    }

    /// The capability numbers in the set, ascending.
    public var numbers: [Int] { (0..<64).filter { mask & (1 << UInt64($0)) != 0 } }
    public func contains(_ number: Int) -> Bool { (0...63).contains(number) && mask & (1 << UInt64(number)) != 0 }
    public var isEmpty: Bool { mask == 0 }

    /// Upper-case libcap names (`CAP_SYS_PTRACE`), ascending by number; `CAP_<n>` for a number
    /// libcap cannot name.
    public var names: [String] { numbers.map { Capabilities.name(of: $0) ?? "CAP_\($0)" } }
    /// The names joined with spaces (the form of `thread.cap_effective` in alerts).
    public var description: String { names.joined(separator: " ") }
}

/// Reading capability state and naming capabilities (libcap).
public enum Capabilities {
    /// The calling thread's effective, permitted and inheritable sets.
    /// - Throws: `SystemError` when `cap_get_proc(3)` fails.
    ///
    /// The corresponding C function is `rw_caps_get` (`cap_get_proc(3)`).
    public static func current() throws(SystemError) -> (effective: CapabilitySet, permitted: CapabilitySet, inheritable: CapabilitySet) {
        var sets = rw_cap_sets()
        _ = try shimCall("cap_get_proc") { rw_caps_get(&sets) }
        return (CapabilitySet(mask: sets.effective), CapabilitySet(mask: sets.permitted), CapabilitySet(mask: sets.inheritable))
    }

    /// The calling thread's bounding set. The corresponding C call is `prctl(PR_CAPBSET_READ)`.
    public static func bounding() throws(SystemError) -> CapabilitySet {
        var mask: UInt64 = 0
        _ = try shimCall("prctl(PR_CAPBSET_READ)") { rw_caps_bounding(&mask) }
        return CapabilitySet(mask: mask)
    }

    /// The highest capability number the running kernel knows (`/proc/sys/kernel/cap_last_cap`).
    public static func lastCapability() throws(SystemError) -> Int {
        Int(try shimCall("cap_max_bits") { rw_caps_last() })
    }

    /// Every capability the running kernel knows.
    public static func all() throws(SystemError) -> CapabilitySet {
        CapabilitySet(numbers: 0...(try lastCapability()))
    }

    /// The upper-case name of capability `number` (`21` → `CAP_SYS_ADMIN`), or nil when libcap
    /// does not know the number. The corresponding C function is `cap_to_name(3)`.
    public static func name(of number: Int) -> String? {
        guard (0...63).contains(number) else { return nil }
        var buffer = [CChar](repeating: 0, count: 64)
        let length = buffer.withUnsafeMutableBufferPointer { rw_caps_name(Int32(number), $0.baseAddress, $0.count) }
        guard length > 0 else { return nil }
        let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self).uppercased()
        // libcap names capabilities newer than its headers by number ("39"): not a name.
        return text.hasPrefix("CAP_") ? text : nil
    }

    /// The number of a capability name, in any case (`CAP_SYS_ADMIN`, `cap_sys_admin`, `SYS_ADMIN`),
    /// or nil when libcap does not know it. The corresponding C function is `cap_from_name(3)`.
    public static func number(named name: String) -> Int? {
        var lower = name.lowercased()
        if !lower.hasPrefix("cap_") { lower = "cap_" + lower }
        guard lower.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        let rc = rw_caps_from_name(lower)
        return rc >= 0 ? Int(rc) : nil
    }

    /// A naming function suitable for injecting into code that cannot import libcap (Core).
    public static let namer: @Sendable (Int) -> String? = { name(of: $0) }
}
