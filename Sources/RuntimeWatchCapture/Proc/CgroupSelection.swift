// SPDX-License-Identifier: Apache-2.0
// /proc/<pid>/cgroup lists one "hierarchy-id:controllers:path" line per hierarchy. Capture keeps
// ONE path, the one that names the container:
//   1. the cgroup v2 line (`0::path`) when its path is not "/" — on unified and on hybrid hosts
//      where the runtime uses v2, this is the container's cgroup;
//   2. otherwise the LONGEST v1 path — on v1 hosts every controller usually shows the same path,
//      but some (cpuset on some distros, or the named `name=systemd` hierarchy) may stay at "/" or
//      sit higher up, and the deepest path is the most specific one, which carries the container id;
//   3. otherwise "/" (a v2 root or all-root host), or nil when the file had no valid line.

public enum CgroupSelection {
    /// Picks the path that names the process's container from /proc/<pid>/cgroup text.
    /// Malformed lines are skipped. Returns nil when no line parsed.
    public static func choose(_ text: String) -> String? {
        choose(utf8: Array(text.utf8))
    }

    /// `choose` over the file's bytes as read (capture's per-exec path): the lines are walked in
    /// place, and only the chosen path becomes a String (one allocation, none per line).
    public static func choose(utf8 bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { choose(lines: $0) }
    }

    private static func choose(lines bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let (newline, colon, slash) = (UInt8(ascii: "\n"), UInt8(ascii: ":"), UInt8(ascii: "/"))
        var unified: Range<Int>?
        var longestV1: Range<Int>?
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != newline { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            var firstColon = lineStart
            while firstColon < lineEnd && bytes[firstColon] != colon { firstColon += 1 }
            var secondColon = firstColon + 1
            while secondColon < lineEnd && bytes[secondColon] != colon { secondColon += 1 }
            guard secondColon < lineEnd else { continue }   // fewer than two colons
            let id = lineStart..<firstColon
            let path = (secondColon + 1)..<lineEnd
            guard !path.isEmpty, bytes[path.lowerBound] == slash, isHierarchyID(bytes, id) else { continue }
            if id.count == 1 && bytes[id.lowerBound] == UInt8(ascii: "0") && secondColon == firstColon + 1 {
                unified = path
            } else if path.count > (longestV1?.count ?? 0) {
                longestV1 = path
            }
        }
        func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self) }
        func isRoot(_ r: Range<Int>) -> Bool { r.count == 1 }   // a path that starts with "/" and is one byte long
        if let unified, !isRoot(unified) { return text(unified) }
        if let longestV1, !isRoot(longestV1) { return text(longestV1) }
        return (unified ?? longestV1).map(text)
    }

    /// Whether the file lists a cgroup v1 hierarchy (a line other than the v2 `0::path`). On such a host the
    /// kernel shows "/" in every v1 line of a task that has begun to exit, whatever cgroup it ran
    /// in; v2 lines keep their path (`proc_cgroup_show`).
    public static func listsV1Hierarchy(utf8 bytes: [UInt8]) -> Bool {
        var lineStart = true
        for i in bytes.indices {
            if lineStart && bytes[i] != UInt8(ascii: "\n") {
                let v2 = i + 2 < bytes.count && bytes[i] == UInt8(ascii: "0") && bytes[i + 1] == UInt8(ascii: ":")
                    && bytes[i + 2] == UInt8(ascii: ":")
                if !v2 { return true }
            }
            lineStart = bytes[i] == UInt8(ascii: "\n")
        }
        return false
    }

    /// Whether the hierarchy id is what `Int(String)` accepts: an optional sign and decimal digits
    /// that fit in an Int. Short ids (all real ones) are checked in place.
    private static func isHierarchyID(_ bytes: UnsafeBufferPointer<UInt8>, _ id: Range<Int>) -> Bool {
        guard id.count <= 18 else { return Int(String(decoding: UnsafeBufferPointer(rebasing: bytes[id]), as: UTF8.self)) != nil }
        var digits = id
        if let first = digits.first, bytes[first] == UInt8(ascii: "+") || bytes[first] == UInt8(ascii: "-") {
            digits = digits.dropFirst()
        }
        return !digits.isEmpty && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[$0]) }
    }
}
