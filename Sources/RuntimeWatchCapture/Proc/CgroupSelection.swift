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

    /// `choose` over the file's bytes as read (capture's per-exec path: no String of the whole
    /// file, no Character walk).
    public static func choose(utf8 bytes: [UInt8]) -> String? {
        var unified: ArraySlice<UInt8>?
        var longestV1: ArraySlice<UInt8>?
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let firstColon = line.firstIndex(of: UInt8(ascii: ":")),
                  let secondColon = line[(firstColon + 1)...].firstIndex(of: UInt8(ascii: ":")) else { continue }
            let id = line[line.startIndex..<firstColon]
            let controllers = line[(firstColon + 1)..<secondColon]
            let path = line[(secondColon + 1)...]
            guard path.first == UInt8(ascii: "/"), Int(String(decoding: id, as: UTF8.self)) != nil else { continue }
            if id.elementsEqual("0".utf8) && controllers.isEmpty {
                unified = path
            } else if path.count > (longestV1?.count ?? 0) {
                longestV1 = path
            }
        }
        func text(_ b: ArraySlice<UInt8>) -> String { String(decoding: b, as: UTF8.self) }
        let root = "/".utf8
        if let unified, !unified.elementsEqual(root) { return text(unified) }
        if let longestV1, !longestV1.elementsEqual(root) { return text(longestV1) }
        return (unified ?? longestV1).map(text)
    }
}
