// SPDX-License-Identifier: Apache-2.0
// One proc connector event as the kernel sent it, in Swift types. Live maps it to Core's Event;
// nothing here interprets it (thread filtering, exit status decoding happen in Live).

/// One decoded proc connector event. Fields the kind does not carry are 0 (or empty).
///
/// Decoded by the C function `rw_procconn_decode` from the kernel's `struct proc_event`.
public struct RawProcEvent: Sendable, Hashable {
    /// The event kind. The corresponding C constants are `PROC_EVENT_*` from `<linux/cn_proc.h>`.
    public enum Kind: Sendable, Hashable {
        /// `PROC_EVENT_NONE`: the kernel's ack of a LISTEN/IGNORE request (`ackError`).
        case none
        case fork, exec, uid, gid, sid, ptrace, comm, coredump, exit
        /// A kind this build does not know (a newer kernel); the kernel's `what` value.
        case unknown(UInt32)
    }

    public var kind: Kind
    /// The CPU that sent the event.
    public var cpu: UInt32
    /// Per-CPU sequence number (`cn_msg.seq`), +1 per event on that CPU; a gap means events were
    /// lost. Acks (`.none`) are numbered too on current kernels (`cpu` = 0xffffffff on old ones).
    public var sequence: UInt32
    /// Kernel CLOCK_MONOTONIC nanoseconds when the event happened.
    public var timestampNanoseconds: UInt64
    /// Subject thread id (for fork: the parent thread).
    public var pid: Int32
    /// Subject process (thread-group) id (for fork: the parent process).
    public var tgid: Int32
    /// exit, coredump: the parent's thread id (0 when the kernel did not send it).
    public var parentPID: Int32
    /// exit, coredump: the parent's process id (0 when the kernel did not send it).
    public var parentTGID: Int32
    /// fork: the child thread id.
    public var childPID: Int32
    /// fork: the child process id; equals `childPID` for a new process, differs for a new thread.
    public var childTGID: Int32
    /// ptrace: the tracer thread id, 0 on detach.
    public var tracerPID: Int32
    /// ptrace: the tracer process id, 0 on detach.
    public var tracerTGID: Int32
    /// uid: real and effective uid.
    public var realUID: UInt32
    public var effectiveUID: UInt32
    /// gid: real and effective gid.
    public var realGID: UInt32
    public var effectiveGID: UInt32
    /// exit: the wait(2) status, `code << 8 | terminating signal`.
    public var exitStatus: UInt32
    /// exit: the signal sent to the parent on exit (normally SIGCHLD); not the killing signal.
    public var exitSignal: UInt32
    /// none: the errno the kernel answered the subscription with (0 = accepted).
    public var ackError: UInt32
    /// comm: the new task name (at most 15 bytes).
    public var comm: String

    public init(kind: Kind, cpu: UInt32 = 0, sequence: UInt32 = 0, timestampNanoseconds: UInt64 = 0,
                pid: Int32 = 0, tgid: Int32 = 0, parentPID: Int32 = 0, parentTGID: Int32 = 0,
                childPID: Int32 = 0, childTGID: Int32 = 0, tracerPID: Int32 = 0, tracerTGID: Int32 = 0,
                realUID: UInt32 = 0, effectiveUID: UInt32 = 0, realGID: UInt32 = 0, effectiveGID: UInt32 = 0,
                exitStatus: UInt32 = 0, exitSignal: UInt32 = 0, ackError: UInt32 = 0, comm: String = "") {
        self.kind = kind; self.cpu = cpu; self.sequence = sequence
        self.timestampNanoseconds = timestampNanoseconds; self.pid = pid; self.tgid = tgid
        self.parentPID = parentPID; self.parentTGID = parentTGID
        self.childPID = childPID; self.childTGID = childTGID
        self.tracerPID = tracerPID; self.tracerTGID = tracerTGID
        self.realUID = realUID; self.effectiveUID = effectiveUID
        self.realGID = realGID; self.effectiveGID = effectiveGID
        self.exitStatus = exitStatus; self.exitSignal = exitSignal; self.ackError = ackError
        self.comm = comm
    }
}
