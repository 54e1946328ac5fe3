// SPDX-License-Identifier: Apache-2.0
// About how many bytes an event holds while it waits in the capture queue, for the queue's byte
// budget: a fixed cost for the record and its fixed fields, plus the strings it carries. Cheap: a sum
// over strings capture already bounded (16 KiB of command line, PATH_MAX paths).

extension EventRecord {
    /// Fixed cost of a queued record: the enum payload, its fixed fields and the queue slot.
    public static let queuedOverheadBytes = 160
    /// An audit event's strings are not summed (a dozen optional fields); this covers a typical one
    /// (user, URI, object reference, annotations). Its count is already bounded by the batch share.
    static let auditEventBytes = 2048

    /// Approximate bytes this record holds while queued.
    public var queuedBytes: Int {
        Self.queuedOverheadBytes + {
            switch event {
            case .snapshot(let p), .exec(let p): p.stringBytes
            case .fileOpen(let e): e.path.utf8.count + (e.containerPath?.utf8.count ?? 0) + (e.process?.stringBytes ?? 0)
            case .connect(let e): (e.process?.stringBytes ?? 0) + 64
            case .descriptors(let e): e.fds.reduce(0) { $0 + $1.stringBytes }
            case .container(let c): c.stringBytes
            case .comm(let e): e.comm.utf8.count
            case .k8sAudit(let a): Self.auditEventBytes + a.requestURI.utf8.count
            case .fork, .exit, .uid, .gid, .sid, .ptrace, .coredump, .drop: 0
            }
        }()
    }
}
