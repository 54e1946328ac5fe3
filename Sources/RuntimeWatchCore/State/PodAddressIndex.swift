// SPDX-License-Identifier: Apache-2.0
// Which container owns a pod IP on this node, learned from the local address of connects made by
// container processes. Audit events carry the client's source IP; a pod on this node calling the
// API server is found here. Bounded; an address seen from two owners (hostNetwork pods share the
// node's address with host processes) is marked ambiguous and never linked.

/// Pod IP → container, bounded, oldest-learned evicted first.
public struct PodAddressIndex: Sendable {
    public enum Owner: Sendable, Hashable {
        case container(ContainerID)
        /// Seen from a host process or from more than one container: not a pod's own address.
        case ambiguous
    }

    public let capacity: Int
    public private(set) var owners: [String: Owner] = [:]
    private var order: [String] = []
    private var head = 0

    public init(capacity: Int = 8192) {
        precondition(capacity > 0, "PodAddressIndex capacity must be positive")
        self.capacity = capacity
    }

    /// Records that `address` was a local address of `owner` (nil: a host process). Loopback and
    /// unspecified addresses are ignored; `::ffff:a.b.c.d` is stored as `a.b.c.d`.
    public mutating func note(address: String, owner: ContainerID?) {
        guard let key = Self.normalize(address) else { return }
        let new: Owner = owner.map(Owner.container) ?? .ambiguous
        if let old = owners[key] {
            if old != new { owners[key] = .ambiguous }
            return
        }
        owners[key] = new
        order.append(key)
        while owners.count > capacity, head < order.count {
            owners[order[head]] = nil
            head += 1
        }
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }

    /// The container whose address `address` is, or nil (unknown or ambiguous).
    public func container(forAddress address: String) -> ContainerID? {
        guard let key = Self.normalize(address), case .container(let id)? = owners[key] else { return nil }
        return id
    }

    /// The comparable form of an address, or nil for addresses that never identify a pod.
    static func normalize(_ address: String) -> String? {
        var a = address.lowercased()
        if a.hasPrefix("::ffff:"), a.contains(".") { a.removeFirst(7) }
        if a.isEmpty || a == "0.0.0.0" || a == "::" || a == "::1" || a.hasPrefix("127.") { return nil }
        return a
    }
}

extension SystemState {
    /// Learns the connect's local address as its container's pod address.
    mutating func notePodAddress(of c: ConnectEvent) {
        guard let local = c.localAddress else { return }
        let owner: ContainerID?
        if let r = processes[c.pid] {
            owner = r.container
        } else if let cgroup = c.process?.cgroup {
            owner = Self.containerID(forCgroup: cgroup)
        } else {
            return   // cannot tell host from container
        }
        podAddresses.note(address: local, owner: owner)
    }
}
