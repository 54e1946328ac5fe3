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

import Foundation
import Logging
import RuntimeWatchSystem

struct AuditSelfExemption {
    private let control: AuditNetlinkControl
    private let pid: Int32

    /// Loads the exemption for tasks this process creates from now on; nil (and a debug line) when
    /// audit cannot be changed here or the rule is already loaded (another start in this process
    /// holds it, and deletes it).
    static func begin(logger: Logger) -> AuditSelfExemption? {
        let pid = getpid()
        do {
            let control = try AuditNetlinkControl()
            guard try control.addTaskExemption(pid: pid) else {
                control.close()
                return nil
            }
            return AuditSelfExemption(control: control, pid: pid)
        } catch {
            logger.debug("capture threads stay audited (audit task rule not loaded): \(error)")
            return nil
        }
    }

    /// Deletes the rule: tasks created from now on are audited as usual. A rule left loaded would
    /// exempt the tasks of a later process that gets this pid, so a failure is reported with the
    /// command that removes it.
    func end(logger: Logger) {
        defer { control.close() }
        do {
            try control.deleteTaskExemption(pid: pid)
        } catch {
            logger.error("could not delete the audit rule 'task,never pid=\(pid)': \(error); remove it with `auditctl -d task,never -F pid=\(pid)`")
        }
    }
}
