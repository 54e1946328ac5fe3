// SPDX-License-Identifier: Apache-2.0
// Container metadata by id, bounded. Entries come from capture's `container` events (full OCI
// metadata) or, until one arrives, from what the cgroup path said (runtime, pod UID, QoS).

/// A bounded map of container metadata; evicts the least recently updated entry when full.
public struct ContainerDirectory: Sendable {
    public let capacity: Int
    public private(set) var byID: [ContainerID: ContainerInfo] = [:]
    /// Entries evicted to stay within capacity.
    public private(set) var evictions: UInt64 = 0
    /// Last-update stamp per id; queue entries with another stamp are stale.
    private var stamps: [ContainerID: UInt64] = [:]
    private var queue: [(id: ContainerID, stamp: UInt64)] = []
    private var queueHead = 0
    private var clock: UInt64 = 0

    /// Most bytes all entries may hold (their strings plus `entryOverheadBytes` each); beyond it
    /// entries are evicted as beyond `capacity` (README "Memory bounds").
    public let byteBudget: Int
    /// What an entry costs besides its strings (the value, its slots in the maps and the queue).
    public static let entryOverheadBytes = 512
    /// Bytes held now, as `byteBudget` counts them.
    public private(set) var bytes = 0

    public init(capacity: Int = 4096, byteBudget: Int = 8 << 20) {
        precondition(capacity > 0, "ContainerDirectory capacity must be positive")
        self.capacity = capacity
        self.byteBudget = byteBudget
    }

    public var count: Int { byID.count }
    public subscript(id: ContainerID) -> ContainerInfo? { byID[id] }

    /// Stores metadata from a `container` event. Fields the event leaves empty that the cgroup
    /// path already told (pod UID, QoS, a runtime other than "unknown") are kept.
    public mutating func record(_ info: ContainerInfo) {
        var info = info
        if let old = byID[info.id] {
            info.podUID = info.podUID ?? old.podUID
            info.qosClass = info.qosClass ?? old.qosClass
            if info.runtime == "unknown" || info.runtime.isEmpty { info.runtime = old.runtime }
        }
        store(info)
    }

    /// Adds a minimal entry from a parsed cgroup path when nothing is known of the container yet.
    public mutating func noteCgroup(_ match: CgroupMatch) {
        guard byID[match.id] == nil else { return }
        store(ContainerInfo(cgroupOnly: match))
    }

    private mutating func store(_ info: ContainerInfo) {
        clock += 1
        bytes += Self.cost(info) - (byID.updateValue(info, forKey: info.id).map(Self.cost) ?? 0)
        stamps[info.id] = clock
        queue.append((info.id, clock))
        while byID.count > capacity || bytes > byteBudget, queueHead < queue.count {
            let entry = queue[queueHead]
            queueHead += 1
            guard stamps[entry.id] == entry.stamp, entry.id != info.id else { continue }
            if let gone = byID.removeValue(forKey: entry.id) { bytes -= Self.cost(gone) }
            stamps[entry.id] = nil
            evictions += 1
        }
        // Re-stored ids leave stale queue entries behind; keep the queue proportional to the map.
        if queueHead > 1024 && queueHead * 2 > queue.count || queue.count - queueHead > 4 * capacity {
            let stamps = self.stamps
            queue = queue[queueHead...].filter { stamps[$0.id] == $0.stamp }
            queueHead = 0
        }
    }

    private static func cost(_ info: ContainerInfo) -> Int { entryOverheadBytes + info.stringBytes }
}
