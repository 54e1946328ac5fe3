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

    var text: String {
        "enabled=\(enabled.map(String.init) ?? "-")\nbacklog=\(backlog.map(String.init) ?? "-")\n"
    }
}
