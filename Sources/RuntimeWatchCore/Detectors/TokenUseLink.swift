// SPDX-License-Identifier: Apache-2.0
// Links a suspicious token read in a pod to the API requests later made with that pod's token,
// exactly, by pod UID: a bound token names its pod in the audit event's `user.extra`
// (`authentication.kubernetes.io/pod-uid`). Both directions: a request logged before the read
// reached the engine (the audit webhook and the file watch are separate sources) is kept for a
// while and linked when the read comes. The requests linked to one read are collected for
// `collectNanoseconds` after the first, then reported as ONE alert that lists them.
// Bounded: reads per pod (one, the latest), pods tracked, requests kept and listed.

struct TokenUseLink: Sendable {
    struct Read: Sendable {
        var time: UInt64
        var pid: ProcessID
        var exe: String?
        var path: String
    }

    struct Request: Sendable {
        var time: UInt64
        var auditID: String
        /// "get secrets shop/db-password 200"
        var line: String
    }

    /// The requests linked to one read, ready to report.
    struct Linked: Sendable {
        var podUID: String
        var read: Read
        var requests: [Request]
        /// Requests linked in all (`requests` holds the first `maxListed`).
        var total: Int
        /// The audit record that opened the collection (the alert's time and record).
        var record: EventRecord
    }

    var windowNanoseconds: UInt64
    var collectNanoseconds: UInt64 = 10_000_000_000
    static let maxPods = 1024
    static let maxKept = 32
    static let maxListed = 20

    private var reads: [String: Read] = [:]
    /// Requests with a pod's token seen while no read of that pod was known (the other direction).
    private var early: [String: [Request]] = [:]
    private var collecting: [String: (linked: Linked, deadline: UInt64, firstTick: UInt64?)] = [:]
    private var seen = RecentAuditIDs(capacity: 8192)

    init(windowNanoseconds: UInt64) { self.windowNanoseconds = windowNanoseconds }

    var isIdle: Bool { collecting.isEmpty }

    /// A suspicious read in the pod `podUID`. Requests already seen with its token, made at or after
    /// the read and within the window, are linked at once.
    mutating func noteRead(_ read: Read, podUID: String, record: EventRecord) {
        if reads[podUID] == nil, reads.count >= Self.maxPods { reads.removeValue(forKey: reads.keys.min()!) }
        reads[podUID] = read
        guard let before = early.removeValue(forKey: podUID) else { return }
        for request in before where request.time >= read.time && request.time - read.time <= windowNanoseconds {
            link(request, podUID: podUID, read: read, record: record)
        }
    }

    /// An audit event made with the token of pod `podUID` (one call per auditID is enough; repeats
    /// of an auditID are ignored).
    mutating func noteRequest(_ request: Request, podUID: String, record: EventRecord) {
        guard seen.insert(request.auditID) else { return }
        if let open = collecting[podUID] {
            link(request, podUID: podUID, read: open.linked.read, record: record)
            return
        }
        if let read = reads[podUID] {
            guard request.time >= read.time, request.time - read.time <= windowNanoseconds else { return }
            link(request, podUID: podUID, read: read, record: record)
            return
        }
        if early[podUID] == nil, early.count >= Self.maxPods { early.removeValue(forKey: early.keys.min()!) }
        var kept = (early[podUID] ?? []).filter { request.time &- $0.time <= windowNanoseconds }
        if kept.count >= Self.maxKept { kept.removeFirst() }
        kept.append(request)
        early[podUID] = kept
    }

    private mutating func link(_ request: Request, podUID: String, read: Read, record: EventRecord) {
        if var open = collecting[podUID] {
            if open.linked.requests.count < Self.maxListed { open.linked.requests.append(request) }
            open.linked.total += 1
            collecting[podUID] = open
            return
        }
        let linked = Linked(podUID: podUID, read: read, requests: [request], total: 1, record: record)
        collecting[podUID] = (linked, record.timestamp &+ collectNanoseconds, nil)
        // One alert per read: requests after its collection start nothing new.
        reads[podUID] = nil
    }

    /// Collections whose time is up by `auditNow` (audit-event clock), or, at heartbeat `tick`
    /// (wall clock; `UInt64.max` at the end of input), that heartbeats have spanned.
    mutating func due(auditNow: UInt64, tick: UInt64?) -> [Linked] {
        guard !collecting.isEmpty else { return [] }
        var out: [Linked] = []
        for (pod, open) in collecting.sorted(by: { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) }) {
            var ready = open.deadline <= auditNow
            if let tick {
                if open.firstTick == nil { collecting[pod]?.firstTick = tick }
                ready = ready || tick == .max || (open.firstTick.map { tick >= $0 &+ collectNanoseconds } ?? false)
            }
            if ready {
                out.append(open.linked)
                collecting[pod] = nil
            }
        }
        return out
    }
}
