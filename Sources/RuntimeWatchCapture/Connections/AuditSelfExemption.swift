// SPDX-License-Identifier: Apache-2.0
// The monitor's own capture threads are exempt from audit. Once audit is on (connect capture turns
// it on), the kernel does its per-syscall audit work for every task that has an audit context, and
// the capture threads make about ten syscalls per exec (the /proc reads) and several per connect:
// that work was 3.6-5.2% of the monitor's CPU in exec storms (BENCHMARKS section 28). The kernel
// decides whether a task gets an audit context once, when the task is created, from the task
// filter list; so a "task,never" rule naming this process is loaded while the sources start their
// threads, and deleted right after. Threads created in that window are never audited; nothing else
// is affected, before or after. Their own syscalls are not what the monitor watches: connect capture
// audits other processes' connects.
//
// A monitor killed inside that window would leave its rule loaded, and the rule would exempt every
// task of a later process that gets the same pid. The rule cannot carry a key (the kernel takes no
// key on the task list), so it is recorded instead: the pid is written to a lease file before the
// rule is loaded and struck after it is deleted. The next start that finds itself the only holder
// of that lease deletes the rules of every pid still listed: their owners died inside the window.

import Foundation
import Logging
import RuntimeWatchSystem

struct AuditSelfExemption {
    /// The record's file name in the lease directory.
    static let recordName = "audit-task-exemptions.lease"

    private let control: AuditNetlinkControl
    private let pid: Int32
    private let record: SharedLease?

    /// Loads the exemption for tasks this process creates from now on, after deleting the ones a
    /// monitor killed in its window left behind (listed in `recordDirectory`'s record; nil: no record,
    /// as when the directory cannot be written). Returns nil (and a debug line) when audit cannot be
    /// changed here or the rule is already loaded (another start in this process holds it, and
    /// deletes it).
    static func begin(recordDirectory: String?, logger: Logger) -> AuditSelfExemption? {
        let pid = getpid()
        let control: AuditNetlinkControl
        do { control = try AuditNetlinkControl() } catch {
            logger.debug("capture threads stay audited (no audit control socket): \(error)")
            return nil
        }
        var record: SharedLease?
        if let recordDirectory {
            do { record = try SharedLease(path: recordDirectory + "/" + recordName) } catch {
                logger.debug("audit task exemptions unrecorded (\(recordDirectory)): \(error)")
            }
        }
        do {
            let loaded = try record.exclusivelyIfHeld { () throws -> Bool in
                if let record {
                    var listed = ExemptedPIDs(parsing: record.savedState())
                    if try !record.othersHold() {
                        for stale in listed.pids where try control.deleteTaskExemption(pid: stale) {
                            logger.warning("deleted the audit rule 'task,never pid=\(stale)' that a runtime-watch killed while starting left loaded")
                        }
                        listed = ExemptedPIDs()
                    }
                    listed.insert(pid)
                    try record.save(listed.text)   // before the rule: a crash from here on leaves it listed
                }
                return try control.addTaskExemption(pid: pid)
            }
            guard loaded else {
                record?.release()
                control.close()
                return nil
            }
            return AuditSelfExemption(control: control, pid: pid, record: record)
        } catch {
            logger.debug("capture threads stay audited (audit task rule not loaded): \(error)")
            record?.release()
            control.close()
            return nil
        }
    }

    /// Deletes the rule (tasks created from now on are audited as usual) and strikes it from the
    /// record. A rule that could not be deleted stays listed, for the next start to delete, and is
    /// reported with the command that removes it now.
    func end(logger: Logger) {
        defer {
            record?.release()
            control.close()
        }
        do {
            try record.exclusivelyIfHeld {
                try control.deleteTaskExemption(pid: pid)
                guard let record else { return }
                var listed = ExemptedPIDs(parsing: record.savedState())
                listed.remove(pid)
                // Left listed, the pid costs the next start one delete that finds nothing.
                do { try record.save(listed.text) } catch {
                    logger.debug("audit task exemption record \(record.path) not updated: \(error)")
                }
            }
        } catch {
            logger.error("could not delete the audit rule 'task,never pid=\(pid)': \(error); remove it with `auditctl -d task,never -F pid=\(pid)`")
        }
    }
}

/// The pids whose exemption rules may be loaded, as kept in the record ("123\n456\n"). Lines that
/// are not a positive pid are dropped: deleting a rule for a pid nobody listed would be a guess.
struct ExemptedPIDs: Equatable {
    private(set) var pids: [Int32] = []

    init() {}

    init(parsing text: String) {
        for line in text.split(separator: "\n") {
            if let pid = Int32(line), pid > 0, !pids.contains(pid) { pids.append(pid) }
        }
    }

    mutating func insert(_ pid: Int32) { if !pids.contains(pid) { pids.append(pid) } }

    mutating func remove(_ pid: Int32) { pids.removeAll { $0 == pid } }

    var text: String { pids.map { "\($0)\n" }.joined() }
}
