// SPDX-License-Identifier: Apache-2.0
// The audit flags the first connect-capture instance found before changing them, as kept in the
// shared lease file for the last instance out to restore ("enabled=0\nbacklog=64\n"; "-" = untouched).

import RuntimeWatchSystem

struct SavedAuditFlags: Equatable {
    /// The enabled flag to restore, nil when capture did not change it.
    var enabled: UInt32?
    /// The backlog limit to restore, nil when capture did not change it.
    var backlog: UInt32?

    init(enabled: UInt32?, backlog: UInt32?) { self.enabled = enabled; self.backlog = backlog }

    /// Reads the text `text` produced; anything unreadable counts as untouched (restoring a flag
    /// we cannot read back would be a guess).
    init(parsing text: String) {
        var values: [Substring: UInt32] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = UInt32(parts[1]) { values[parts[0]] = value }
        }
        self.init(enabled: values["enabled"], backlog: values["backlog"])
    }

    /// The lease file, in the lease directory, that every instance holds while audit is on for it.
    static let leaseFile = "audit-flags.lease"

    /// Puts back the flags that were changed; errors are ignored (nothing better can be done at stop).
    func restore(using control: AuditNetlinkControl) {
        if let enabled { try? control.setEnabled(enabled != 0) }
        if let backlog { try? control.setBacklogLimit(backlog) }
    }

    /// The first holder's step in (call it holding `lease` exclusively, with no other holder;
    /// nil: no lease, an instance alone): enables audit as `status` found it, raises its backlog
    /// limit to `minimumBacklog` when lower (nil: leave it), and saves in `lease` what it changed,
    /// for the last holder out. Should a change fail, what this did is put back before throwing.
    /// - Returns: what was changed (what an instance without a lease restores itself).
    static func turnOn(_ control: AuditNetlinkControl, found status: AuditStatus, minimumBacklog: UInt32?,
                       savingIn lease: SharedLease?) throws -> SavedAuditFlags {
        var changed = SavedAuditFlags(enabled: nil, backlog: nil)
        do {
            if let minimumBacklog, status.backlogLimit != 0, status.backlogLimit < minimumBacklog {
                try control.setBacklogLimit(minimumBacklog)
                changed.backlog = status.backlogLimit
            }
            if status.enabled == 0 {
                try control.setEnabled(true)
                changed.enabled = 0
            }
            try lease?.save(changed.text)
        } catch {
            changed.restore(using: control)
            throw error
        }
        return changed
    }

    /// The last holder's step out (call it holding `lease` exclusively): when no other instance
    /// holds the lease, restores what the first one in saved and clears it. Others leave the flags.
    static func restoreIfLast(_ lease: SharedLease, using control: AuditNetlinkControl) throws {
        guard try !lease.othersHold() else { return }
        SavedAuditFlags(parsing: lease.savedState()).restore(using: control)
        try lease.save("")
    }

    var text: String {
        "enabled=\(enabled.map(String.init) ?? "-")\nbacklog=\(backlog.map(String.init) ?? "-")\n"
    }
}
