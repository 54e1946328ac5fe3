// SPDX-License-Identifier: Apache-2.0
// `replay --audit-log`: reads finished audit logs to their end (the same follower and decoder as
// live mode) and orders their events by time, so audit logs replay deterministically on their own
// or merged into a trace. Bad lines are reported on stderr with file and line number and skipped.

import Foundation
import RuntimeWatchCore

public enum AuditLogReplay {
    /// Every event of `paths`, sorted by time (stable: same-time events keep file order), and how
    /// many lines or items were malformed. Holds the events in memory.
    public static func read(_ paths: [String]) -> (records: [EventRecord], malformed: Int) {
        var records: [EventRecord] = []
        var malformed = 0
        for path in paths {
            var configuration = K8sAuditLogFollower.Configuration()
            configuration.stopAtEnd = true
            let follower = K8sAuditLogFollower(path: path, configuration: configuration)
            follower.readToEnd(onIssue: { issue in
                FileHandle.standardError.write(Data("runtime-watch: \(issue)\n".utf8))
            }) { records.append($0) }
            malformed += Int(follower.counts.malformed)
        }
        let ordered = records.enumerated().sorted { a, b in
            a.element.timestamp != b.element.timestamp ? a.element.timestamp < b.element.timestamp : a.offset < b.offset
        }
        return (ordered.map(\.element), malformed)
    }
}
