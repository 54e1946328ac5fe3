// SPDX-License-Identifier: Apache-2.0
// The one place capture announces containers: before the first event of any source (exec, snapshot,
// token open, connect) from a container id it has not announced, and again when what is known of it
// changes (its runtime state was not written yet at first sight, and is now). The metadata comes
// from the OCI runtime state through a bounded cache; a container whose state cannot be read is
// announced from its cgroup path alone. Its DNS resolvers are read once, from the first of its
// processes that lives in the container's own root filesystem.

import RuntimeWatchCore

/// Runs on the drive loop's side of the capture queue (single consumer); not thread-safe.
struct ContainerAnnouncer {
    private var cache: OCIMetadataCache
    private let read: MetadataRead
    /// Lookups that read the runtime state and failed (logged by the caller).
    private(set) var failures: UInt64 = 0
    /// The cgroup path of the last event looked at, and whether it named a container: most events in
    /// a row come from one cgroup, so this skips parsing it again.
    private var lastCgroup: String?
    private var lastMatch: CgroupMatch?
    /// Each container's resolvers once read, and how many reads failed before (bounded per container).
    private var resolvers: [ContainerID: [String]] = [:]
    private var resolverMisses: [ContainerID: Int] = [:]
    private let readResolvers: ResolverRead
    private let capacity: Int
    /// A container's first events come from runc's init before it pivots (nothing to read yet);
    /// after this many misses the container is announced without resolvers.
    static let resolverAttempts = 16

    /// How a container's runtime state is read (the OCI reader; tests inject their own).
    typealias MetadataRead = @Sendable (CgroupMatch) throws(OCIMetadataError) -> OCIMetadata
    /// How a process's resolvers are read (`ResolvConf.ofProcess`; tests inject their own).
    typealias ResolverRead = @Sendable (ProcessID) -> [String]?

    /// A container's first processes show up before its runtime has written the state that names
    /// its pod (runc re-execs its init inside the container's cgroup first): for this long after a
    /// container is first seen, a failed read is tried again on each of its events, so the token
    /// read of its first command already carries the pod. Later failures are retried every 5 s.
    static let eagerRetryWindow: Duration = .seconds(2)

    init(capacity: Int, read: MetadataRead? = nil, readResolvers: ResolverRead? = nil) {
        cache = OCIMetadataCache(capacity: capacity, eagerRetryWindow: Self.eagerRetryWindow)
        self.capacity = capacity
        self.readResolvers = readResolvers ?? { ResolvConf.ofProcess($0.rawValue) }
        if let read {
            self.read = read
        } else {
            let reader = OCIMetadataReader()
            self.read = { (match: CgroupMatch) throws(OCIMetadataError) -> OCIMetadata in try reader.read(match) }
        }
    }

    /// The process an event is about, when the event carries what capture read of it.
    static func process(of event: Event) -> ProcessInfo? {
        switch event {
        case .exec(let info), .snapshot(let info): info
        case .fileOpen(let open): open.process
        case .connect(let connect): connect.process
        default: nil
        }
    }

    /// The container to announce ahead of `record`, or nil: not in a container, or announced before
    /// and unchanged. `failure` is set when the runtime state could not be read this time.
    mutating func announcement(for record: EventRecord) -> (info: ContainerInfo, failure: OCIMetadataError?)? {
        guard let process = Self.process(of: record.event), let cgroup = process.cgroup else { return nil }
        let match: CgroupMatch
        if cgroup == lastCgroup {
            guard let last = lastMatch else { return nil }
            match = last
        } else {
            lastCgroup = cgroup
            lastMatch = CgroupParser.parse(cgroup)
            guard let parsed = lastMatch else { return nil }
            match = parsed
        }
        let lookup = cache.lookup(match, read: read)
        if lookup.error != nil { failures &+= 1 }
        let resolversRead = learnResolvers(of: match.id, from: process.pid)
        guard lookup.changed || resolversRead else { return nil }
        var info = lookup.info
        info.resolvers = resolvers[match.id]
        return (info, lookup.error)
    }

    /// Reads the container's resolvers through `pid` while they are unknown (at most
    /// `resolverAttempts` tries). True when they were read just now.
    private mutating func learnResolvers(of id: ContainerID, from pid: ProcessID) -> Bool {
        guard resolvers[id] == nil, resolverMisses[id, default: 0] < Self.resolverAttempts else { return false }
        guard let found = readResolvers(pid) else {
            resolverMisses[id, default: 0] += 1
            return false
        }
        // Bounded like the metadata cache: forgetting all is rare and only costs a re-read.
        if resolvers.count >= capacity { resolvers.removeAll(keepingCapacity: true) }
        if resolverMisses.count >= capacity { resolverMisses.removeAll(keepingCapacity: true) }
        resolvers[id] = found
        resolverMisses[id] = nil
        return true
    }
}
