// SPDX-License-Identifier: Apache-2.0
// Reads each container's OCI state once, not on every exec. Bounded (oldest entries evicted) so a node
// that churns through containers cannot grow it; failures are retried after a pause because a
// container's state may be written just after its first process shows up.

import RuntimeWatchCore

/// A bounded per-container-id cache in front of `OCIMetadataReader`. A value type owned by the capture
/// loop (no locking); not shared across threads.
public struct OCIMetadataCache: Sendable {
    /// What one lookup produced.
    public struct Lookup: Sendable, Hashable {
        /// Best-known identity: the OCI metadata when read, otherwise the cgroup-only info.
        public var info: ContainerInfo
        /// The full metadata, nil while the state could not be read.
        public var metadata: OCIMetadata?
        /// The read failure, set only on the lookup that attempted the read (count and log it once).
        public var error: OCIMetadataError?
        /// True when `info` differs from what the previous lookup of this id returned (or the id is new):
        /// capture emits a `container` event exactly then.
        public var changed: Bool
    }

    private struct Entry: Sendable {
        var info: ContainerInfo
        var metadata: OCIMetadata?
        var failedAt: ContinuousClock.Instant?
        /// When the id was first looked up: failures are retried on every lookup for a while after.
        var firstSeen: ContinuousClock.Instant
        var insertion: UInt64
    }

    /// Most containers remembered; the oldest inserted is evicted beyond it.
    public let capacity: Int
    /// How long a failed read is trusted before the next lookup tries again.
    public let retryFailuresAfter: Duration
    /// For this long after an id is first seen, every lookup retries a failed read: a container's
    /// first processes (runc's re-exec of its init, the init's first command) show up before the
    /// runtime has written the state that names the pod, and the pod must be on the very next event.
    public let eagerRetryWindow: Duration
    private var entries: [ContainerID: Entry] = [:]
    private var nextInsertion: UInt64 = 0

    public init(capacity: Int = 4096, retryFailuresAfter: Duration = .seconds(5), eagerRetryWindow: Duration = .zero) {
        precondition(capacity > 0, "OCIMetadataCache capacity must be positive")
        self.capacity = capacity
        self.retryFailuresAfter = retryFailuresAfter
        self.eagerRetryWindow = eagerRetryWindow
    }

    public var count: Int { entries.count }

    /// The metadata for the container `match` names, reading it through `reader` when the id is new,
    /// or when its last read failed more than `retryFailuresAfter` before `now`.
    public mutating func lookup(_ match: CgroupMatch, reader: OCIMetadataReader,
                                now: ContinuousClock.Instant = .now) -> Lookup {
        lookup(match, now: now, read: reader.read)
    }

    /// `lookup` with any way of reading the metadata (tests inject their own).
    public mutating func lookup(_ match: CgroupMatch, now: ContinuousClock.Instant = .now,
                                read: (CgroupMatch) throws(OCIMetadataError) -> OCIMetadata) -> Lookup {
        let previous = entries[match.id]
        if let previous, previous.failedAt.map({ now - $0 < retryFailuresAfter && now - previous.firstSeen >= eagerRetryWindow }) ?? true {
            return Lookup(info: previous.info, metadata: previous.metadata, error: nil, changed: false)
        }
        var entry = Entry(info: ContainerInfo(cgroupOnly: match), metadata: nil, failedAt: nil,
                          firstSeen: previous?.firstSeen ?? now, insertion: previous?.insertion ?? nextInsertion)
        var failure: OCIMetadataError?
        do {
            let metadata = try read(match)
            entry.metadata = metadata
            entry.info = metadata.info
        } catch {
            failure = error
            entry.failedAt = now
        }
        if previous == nil {
            nextInsertion += 1
            evictIfFull()
        }
        entries[match.id] = entry
        return Lookup(info: entry.info, metadata: entry.metadata, error: failure, changed: previous?.info != entry.info)
    }

    /// Drops what is known of `id` (its container exited); the next lookup reads again.
    public mutating func forget(_ id: ContainerID) {
        entries[id] = nil
    }

    /// Makes room for one more entry by evicting the oldest inserted. Linear in `capacity`, paid only
    /// when a new container arrives at a full cache.
    private mutating func evictIfFull() {
        guard entries.count >= capacity,
              let oldest = entries.min(by: { $0.value.insertion < $1.value.insertion })?.key else { return }
        entries[oldest] = nil
    }
}
