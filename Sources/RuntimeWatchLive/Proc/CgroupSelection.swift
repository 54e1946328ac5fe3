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
        var unified: String?
        var longestV1: String?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, Int(fields[0]) != nil, fields[2].hasPrefix("/") else { continue }
            let path = String(fields[2])
            if fields[0] == "0" && fields[1].isEmpty {
                unified = path
            } else if path.utf8.count > (longestV1?.utf8.count ?? 0) {
                longestV1 = path
            }
        }
        if let unified, unified != "/" { return unified }
        if let longestV1, longestV1 != "/" { return longestV1 }
        return unified ?? longestV1
    }
}
