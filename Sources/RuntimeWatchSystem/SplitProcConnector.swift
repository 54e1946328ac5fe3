// SPDX-License-Identifier: Apache-2.0
// The process events on two connector sockets, split in the kernel: one gets exec events only, the
// other everything else. Capture must read /proc the moment a process execs (it may be gone a
// millisecond later), but forks and exits can wait a couple of milliseconds. With one socket every
// datagram wakes the receive thread: three wake-ups per process of an exec storm, the largest
// single cost of capture (BENCHMARKS.md section 6). Split, a busy receiver sleeps on the exec socket
// only and collects the rest when it is awake anyway, or when its hand-off window ends.

internal import CShims
import SystemPackage

/// An exec-only and an all-but-exec proc connector socket. Their union is what one unfiltered
/// socket receives, with the same per-CPU sequence numbers (so gap counting stays exact once the
/// two are merged back in order, `mergeInKernelOrder`).
public struct SplitProcConnector: Sendable {
    public let execs: ProcConnector
    public let others: ProcConnector

    /// Opens and subscribes both sockets (exec first, so no exec is missed while the other opens;
    /// each gets `receiveBuffer` bytes).
    /// - Throws: `SystemError` (EPERM without CAP_NET_ADMIN).
    public static func open(receiveBuffer: Int) throws(SystemError) -> SplitProcConnector {
        let execs = try ProcConnector.open(receiveBuffer: receiveBuffer, receiveTimeout: .zero, selection: .execOnly)
        do {
            let others = try ProcConnector.open(receiveBuffer: receiveBuffer, receiveTimeout: .zero, selection: .allButExec)
            return SplitProcConnector(execs: execs, others: others)
        } catch {
            try? execs.close()
            throw error
        }
    }

    /// Waits for a datagram on the exec socket, or on either socket when `execsOnly` is false, for
    /// at most `timeoutNanoseconds` (nil: forever). Returns which are readable (`.first`: the exec
    /// socket, `.second`: the other; empty on timeout or EINTR).
    public func wait(execsOnly: Bool, timeoutNanoseconds: UInt64?) throws(SystemError) -> Readiness {
        try waitReadable(execs.descriptor.rawValue, execsOnly ? -1 : others.descriptor.rawValue,
                         timeoutNanoseconds: timeoutNanoseconds)
    }

    /// Closes both sockets; the first error is thrown after both were tried.
    public func close() throws(SystemError) {
        var failure: SystemError?
        do { try execs.close() } catch { failure = error }
        do { try others.close() } catch { failure = failure ?? error }
        if let failure { throw failure }
    }

    /// The events of the two sockets as one stream in the kernel's order: by sequence number within
    /// a CPU (exact: one counter), else by timestamp (a process's fork, exec and exit are stamped in
    /// that order). Each input is already in its socket's order.
    public static func mergeInKernelOrder(_ a: [RawProcEvent], _ b: [RawProcEvent]) -> [RawProcEvent] {
        var out: [RawProcEvent] = []
        mergeInKernelOrder(a, b, into: &out)
        return out
    }

    /// `mergeInKernelOrder` into `out` (emptied first; its storage is kept, so a receive loop that
    /// keeps `out` allocates nothing per wake-up).
    public static func mergeInKernelOrder(_ a: [RawProcEvent], _ b: [RawProcEvent], into out: inout [RawProcEvent]) {
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if comesBefore(b[j], a[i]) { out.append(b[j]); j += 1 } else { out.append(a[i]); i += 1 }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
    }

    static func comesBefore(_ x: RawProcEvent, _ y: RawProcEvent) -> Bool {
        if x.cpu == y.cpu && x.cpu != UInt32.max {  // UInt32.max: an old kernel's unnumbered ack
            return Int32(bitPattern: x.sequence &- y.sequence) < 0
        }
        return x.timestampNanoseconds < y.timestampNanoseconds
    }
}
