// SPDX-License-Identifier: Apache-2.0
// Raw proc connector event → Core event. Pure: no /proc access (exec is handed back to the caller,
// which reads /proc). Threads are not processes: fork of a thread, exit of a thread, and a
// thread's own comm/uid/gid change are filtered out; everything is keyed by thread-group id.

import RuntimeWatchCore
import RuntimeWatchSystem

/// What capture should do with one raw event.
public enum MappedProcEvent: Sendable, Hashable {
    /// Emit this event.
    case event(Event)
    /// A process exec'd: read /proc/<pid> now and emit `.exec`.
    case exec(ProcessID)
    /// An event about a thread, not a process: count and drop.
    case thread
    /// The kernel's answer to our subscription; non-zero is an errno.
    case ack(error: UInt32)
    /// A kind this build does not know.
    case unknown(UInt32)
}

public enum ProcEventMapper {
    /// Maps one raw event. See `MappedProcEvent` for the contract.
    public static func map(_ e: RawProcEvent) -> MappedProcEvent {
        let process = ProcessID(e.tgid)
        let isLeader = e.pid == e.tgid
        switch e.kind {
        case .none:
            return .ack(error: e.ackError)
        case .fork:
            // clone(CLONE_THREAD) also reports as fork; the child is a process only if it leads its group.
            guard e.childPID == e.childTGID else { return .thread }
            return .event(.fork(ForkEvent(parent: process, child: ProcessID(e.childTGID))))
        case .exec:
            // After exec the calling thread is the group leader (de_thread), so tgid is the process.
            return .exec(process)
        case .exit:
            guard isLeader else { return .thread }
            let status = e.exitStatus
            let signal = Int32(status & 0x7f)
            return .event(.exit(ExitEvent(pid: process, code: Int32((status >> 8) & 0xff), signal: signal == 0 ? nil : signal)))
        case .uid:
            // setuid(2) through libc changes every thread (one event each); the leader's suffices.
            guard isLeader else { return .thread }
            return .event(.uid(IDChangeEvent(pid: process, real: e.realUID, effective: e.effectiveUID)))
        case .gid:
            guard isLeader else { return .thread }
            return .event(.gid(IDChangeEvent(pid: process, real: e.realGID, effective: e.effectiveGID)))
        case .comm:
            // prctl(PR_SET_NAME) on another thread names that thread, not the process.
            guard isLeader else { return .thread }
            return .event(.comm(CommEvent(pid: process, comm: e.comm)))
        case .sid:
            return .event(.sid(PIDEvent(pid: process)))
        case .ptrace:
            // Kept for every thread: attaching to any thread of a process is worth reporting.
            return .event(.ptrace(PtraceEvent(pid: process, tracer: ProcessID(e.tracerTGID), attach: e.tracerPID != 0)))
        case .coredump:
            return .event(.coredump(PIDEvent(pid: process)))
        case .unknown(let what):
            return .unknown(what)
        }
    }
}
