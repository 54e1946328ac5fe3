// SPDX-License-Identifier: Apache-2.0
// What recently seen cgroup paths name. Every exec in a container repeats its container's cgroup
// path, and parsing one allocates the container and pod ids anew (two of the engine's allocations
// per exec, issue 17's profile); a node has few distinct paths at a time. Bounded: emptied when
// full, so a host that creates cgroups without end costs one parse per path, as before.

struct CgroupMatchCache: Sendable {
    private var matches: [String: CgroupMatch?] = [:]
    let capacity: Int

    init(capacity: Int = 1024) { self.capacity = capacity }

    /// `CgroupParser.parse(path)`, from the cache when the path was parsed before.
    mutating func match(_ path: String) -> CgroupMatch? {
        if let known = matches[path] { return known }
        let parsed = CgroupParser.parse(path)
        if matches.count >= capacity { matches.removeAll(keepingCapacity: true) }
        matches[path] = .some(parsed)
        return parsed
    }
}
