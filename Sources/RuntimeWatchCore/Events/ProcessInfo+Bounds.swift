// SPDX-License-Identifier: Apache-2.0
// Bounds on what one process may hold in the state (issue 19 item 2): a trace of 5,000 execs with
// 900 KB of argv each grew replay to 4.46 GB. Live capture reads at most 64 KiB of cmdline; a trace
// or a hostile event can carry anything. The state cuts each string to its bound, once, where a
// process enters it (SystemState.define and .learn), and says which fields it cut (`truncated`,
// shown in alerts as `proc.truncated`). The process table adds a bound on all records' bytes.

extension ProcessInfo {
    public enum Bounds {
        /// argv: at most this many bytes in all (an argument is cut at a character boundary)...
        public static let argvBytes = 16 * 1024
        /// ...and this many arguments.
        public static let argvCount = 1024
        /// exe, cwd, cgroup: PATH_MAX.
        public static let pathBytes = 4096
        /// comm: the kernel's is 15 bytes; traces may say more.
        public static let commBytes = 64
    }

    /// This process cut to `Bounds`, with the cut fields listed in `truncated`; itself when within.
    public func bounded() -> ProcessInfo {
        var out = self
        var cut: [String] = truncated ?? []
        func mark(_ field: String) { if !cut.contains(field) { cut.append(field) } }
        if let argv, argv.count > Bounds.argvCount || argv.reduce(0, { $0 + $1.utf8.count }) > Bounds.argvBytes {
            var kept: [String] = []
            var budget = Bounds.argvBytes
            for arg in argv.prefix(Bounds.argvCount) {
                guard budget > 0 else { break }
                let piece = Self.prefix(arg, bytes: budget)
                kept.append(piece)
                budget -= piece.utf8.count
            }
            out.argv = kept
            mark("argv")
        }
        func bound(_ value: String?, _ limit: Int, _ field: String) -> String? {
            guard let value, value.utf8.count > limit else { return value }
            mark(field)
            return Self.prefix(value, bytes: limit)
        }
        out.exe = bound(exe, Bounds.pathBytes, "exe")
        out.cwd = bound(cwd, Bounds.pathBytes, "cwd")
        out.cgroup = bound(cgroup, Bounds.pathBytes, "cgroup")
        out.comm = bound(comm, Bounds.commBytes, "comm")
        out.truncated = cut.isEmpty ? nil : cut
        return out
    }

    /// Bytes of strings this process holds (what the table's byte bound counts).
    var stringBytes: Int {
        (argv?.reduce(0) { $0 + $1.utf8.count + 16 } ?? 0) + (exe?.utf8.count ?? 0) + (cwd?.utf8.count ?? 0)
            + (cgroup?.utf8.count ?? 0) + (comm?.utf8.count ?? 0) + (fds?.reduce(0) { $0 + $1.target.utf8.count + 64 } ?? 0)
    }

    /// The longest prefix of `text` within `bytes` UTF-8 bytes that ends on a character boundary.
    private static func prefix(_ text: String, bytes: Int) -> String {
        var end = text.utf8.startIndex
        var used = 0
        for character in text {
            let n = character.utf8.count
            if used + n > bytes { break }
            used += n
            end = text.utf8.index(end, offsetBy: n)
        }
        return String(text[..<end])
    }
}
