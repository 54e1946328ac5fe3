// SPDX-License-Identifier: Apache-2.0
// Decides when capture emits a `.container` event: the first time a container id appears in a
// process's cgroup. It asks the injected metadata closure once per id; the set of ids seen is
// bounded (oldest forgotten first, which at worst re-announces a long-lived container).

import RuntimeWatchCore

/// Remembers container ids already announced. Not thread-safe (receive thread only).
final class ContainerAnnouncer {
    private let capacity: Int
    private let lookup: @Sendable (CgroupMatch) -> ContainerInfo?
    private var seen = Set<ContainerID>()
    private var order: [ContainerID] = []
    /// Number of closure calls so far.
    private(set) var lookups: UInt64 = 0

    init(capacity: Int, lookup: @escaping @Sendable (CgroupMatch) -> ContainerInfo?) {
        self.capacity = max(1, capacity)
        self.lookup = lookup
    }

    /// The container to announce before an event about a process in `cgroup`, or nil when the
    /// cgroup names no container or its id was already announced. When the closure has no
    /// metadata, a minimal ContainerInfo is built from the cgroup path alone.
    func firstSighting(cgroup: String?) -> ContainerInfo? {
        guard let cgroup, let match = CgroupParser.parse(cgroup), !seen.contains(match.id) else { return nil }
        if order.count >= capacity {
            let evicted = order.removeFirst()
            seen.remove(evicted)
        }
        seen.insert(match.id)
        order.append(match.id)
        lookups += 1
        return lookup(match) ?? ContainerInfo(id: match.id, runtime: match.runtime, podUID: match.podUID, qosClass: match.qosClass)
    }
}
