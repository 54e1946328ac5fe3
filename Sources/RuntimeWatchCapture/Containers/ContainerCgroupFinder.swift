// SPDX-License-Identifier: Apache-2.0
// Finds a container's cgroup directory from its id (12 hex as alerts show it, or the full id), for
// freezing and thawing. Alerts carry only the id and the offending process has often exited
// already (a `cat` of the token), so the cgroup tree itself is searched: breadth first, the
// shallowest directory whose path names the container (CgroupParser, as the state uses), bounded.

import RuntimeWatchCore

public enum ContainerCgroupFinder {
    /// Directories visited at most per search (a node with a few hundred containers has a few thousand).
    public static let maxDirectories = 50_000
    /// Deepest level searched (kubepods/<qos>/<pod>/<container> is 4; systemd slices nest a little deeper).
    public static let maxDepth = 8

    /// The cgroup path (relative to `root`, starting with "/") of the container whose id starts with
    /// `id`, or nil when none is found.
    public static func find(id: String, under root: String) -> String? {
        guard !id.isEmpty else { return nil }
        var level = [""]
        var visited = 0
        for _ in 0..<maxDepth {
            var next: [String] = []
            for path in level {
                for name in DirectoryEntries.names(in: root + path, limit: maxDirectories - visited, directoriesOnly: true) {
                    visited += 1
                    let child = path + "/" + name
                    if let match = CgroupParser.parse(child), match.id.rawValue.hasPrefix(id) { return child }
                    next.append(child)
                }
                if visited >= maxDirectories { return nil }
            }
            if next.isEmpty { return nil }
            level = next
        }
        return nil
    }

    /// The container of the process whose `/proc/<pid>/cgroup` is `procCgroup` (default: this
    /// process, so responses never freeze the monitor's own DaemonSet pod), or nil on the host.
    public static func containerID(procCgroup: String = "/proc/self/cgroup") -> ContainerID? {
        guard case .success(let bytes) = BoundedFileRead.contents(of: procCgroup, limit: 64 * 1024),
              let path = CgroupParser.selectPath(fromProcCgroup: String(decoding: bytes, as: UTF8.self)) else { return nil }
        return CgroupParser.parse(path)?.id
    }
}
