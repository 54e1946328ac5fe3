// SPDX-License-Identifier: Apache-2.0
// The monitor's open-file limit. fanotify opens a descriptor for every event it delivers, the
// /proc directory cache keeps up to 192 open, and the token watcher holds up to 64 openers; when
// the process runs out of descriptors, fanotify denies the permission event (the watched open
// fails in the workload). The soft limit is often 1024 while the hard limit is far higher, so the
// monitor raises its soft limit to the hard limit at start, as servers do.

internal import Glibc
import SystemPackage

public enum DescriptorLimit {
    /// The soft and hard RLIMIT_NOFILE before and after `raiseSoftToHard`.
    public struct Change: Sendable, Hashable {
        public var softBefore: UInt64
        public var soft: UInt64
        public var hard: UInt64
        public var raised: Bool { soft > softBefore }
    }

    /// What the soft limit is raised to when the hard limit is "unlimited" (not a valid soft limit
    /// for open files: the kernel caps it at fs.nr_open, 1,048,576 by default). Far more than the
    /// monitor ever holds.
    public static let ceilingWhenUnlimited: UInt64 = 65_536

    /// Raises the soft open-file limit to the hard limit (no privilege needed).
    /// - Throws: `SystemError` when the limit cannot be read or set.
    public static func raiseSoftToHard() throws(SystemError) -> Change {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw SystemError(operation: "getrlimit(RLIMIT_NOFILE)", errno: Errno(rawValue: errno))
        }
        let before = UInt64(limit.rlim_cur)
        var target = UInt64(limit.rlim_max)
        if limit.rlim_max == rlim_t.max { target = ceilingWhenUnlimited }  // RLIM_INFINITY
        guard target > before else { return Change(softBefore: before, soft: before, hard: UInt64(limit.rlim_max)) }
        limit.rlim_cur = rlim_t(target)
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw SystemError(operation: "setrlimit(RLIMIT_NOFILE, \(target))", errno: Errno(rawValue: errno))
        }
        return Change(softBefore: before, soft: target, hard: UInt64(limit.rlim_max))
    }
}
