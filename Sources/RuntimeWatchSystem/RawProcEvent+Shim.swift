// SPDX-License-Identifier: Apache-2.0
// Conversion from the shim's C struct, kept apart so the public type's file has no C in it.

internal import CShims

extension RawProcEvent.Kind {
    init(shim what: UInt32, kernelWhat: UInt32) {
        switch Int32(bitPattern: what) {
        case RW_PROC_EVENT_NONE: self = .none
        case RW_PROC_EVENT_FORK: self = .fork
        case RW_PROC_EVENT_EXEC: self = .exec
        case RW_PROC_EVENT_UID: self = .uid
        case RW_PROC_EVENT_GID: self = .gid
        case RW_PROC_EVENT_SID: self = .sid
        case RW_PROC_EVENT_PTRACE: self = .ptrace
        case RW_PROC_EVENT_COMM: self = .comm
        case RW_PROC_EVENT_COREDUMP: self = .coredump
        case RW_PROC_EVENT_EXIT: self = .exit
        default: self = .unknown(kernelWhat)
        }
    }
}

extension RawProcEvent {
    init(_ e: rw_proc_event) {
        let comm = withUnsafeBytes(of: e.comm) { raw -> String in
            let bytes = raw.prefix(while: { $0 != 0 })
            return String(decoding: bytes, as: UTF8.self)
        }
        self.init(kind: Kind(shim: e.what, kernelWhat: e.kernel_what), cpu: e.cpu, sequence: e.seq,
                  timestampNanoseconds: e.timestamp_ns, pid: e.pid, tgid: e.tgid,
                  parentPID: e.parent_pid, parentTGID: e.parent_tgid,
                  childPID: e.child_pid, childTGID: e.child_tgid,
                  tracerPID: e.tracer_pid, tracerTGID: e.tracer_tgid,
                  realUID: e.ruid, effectiveUID: e.euid, realGID: e.rgid, effectiveGID: e.egid,
                  exitStatus: e.exit_code, exitSignal: e.exit_signal, ackError: e.ack_err, comm: comm)
    }
}
