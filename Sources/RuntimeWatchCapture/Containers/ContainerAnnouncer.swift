// SPDX-License-Identifier: Apache-2.0
// The one place capture announces containers: before the first event of any source (exec, snapshot,
// token open, connect) from a container id it has not announced, and again when what is known of it
// changes (its runtime state was not written yet at first sight, and is now). The metadata comes
// from the OCI runtime state through a bounded cache; a container whose state cannot be read is
// announced from its cgroup path alone.

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

    /// How a container's runtime state is read (the OCI reader; tests inject their own).
    typealias MetadataRead = @Sendable (CgroupMatch) throws(OCIMetadataError) -> OCIMetadata

    /// A container's first processes show up before its runtime has written the state that names
    /// its pod (runc re-execs its init inside the container's cgroup first): for this long after a
    /// container is first seen, a failed read is tried again on each of its events, so the token
    /// read of its first command already carries the pod. Later failures are retried every 5 s.
    static let eagerRetryWindow: Duration = .seconds(2)

    init(capacity: Int, read: MetadataRead? = nil) {
        cache = OCIMetadataCache(capacity: capacity, eagerRetryWindow: Self.eagerRetryWindow)
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
        guard let cgroup = Self.process(of: record.event)?.cgroup else { return nil }
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
        return lookup.changed ? (lookup.info, lookup.error) : nil
    }
}
