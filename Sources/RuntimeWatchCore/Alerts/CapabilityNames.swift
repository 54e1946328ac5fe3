// SPDX-License-Identifier: Apache-2.0
// Capability numbers to names for `thread.cap_effective`. A fixed table (linux/capability.h), so live
// runs, replays and tests name capabilities identically without libcap; a number the table does not
// know is printed as a number by the alert builder.

public enum CapabilityNames {
    /// CAP_CHOWN (0) … CAP_CHECKPOINT_RESTORE (40).
    static let table = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// The name of capability `number`, or nil when the table does not know it.
    @Sendable public static func name(of number: Int) -> String? {
        table.indices.contains(number) ? table[number] : nil
    }
}

/// The last capability mask named and its names. A node's alerts come mostly from processes with one
/// of a few capability sets (root's full set is 41 names, a string built from 41 lookups), so the
/// engine names a mask once per change instead of once per alert.
struct CapabilityNameMemo {
    private var last: (mask: UInt64, names: String)?

    /// The names of `mask` as `AlertBuilder.capabilityNames` gives them, reused while the mask repeats.
    mutating func names(of mask: UInt64, name: (Int) -> String?) -> String {
        if let last, last.mask == mask { return last.names }
        let names = AlertBuilder.capabilityNames(mask: mask, name: name)
        last = (mask, names)
        return names
    }
}
