// SPDX-License-Identifier: Apache-2.0
// Follows a Kubernetes API-server audit log (JSON lines) like `tail -F`: reads what is there, waits
// for growth, and when the file is rotated (its path now names another inode) or truncated
// (copytruncate), finishes the old file first and then reopens the path from its start, so no line
// is lost or read twice. `-` reads standard input to its end. Each line becomes an EventRecord via
// the Core decoder; a bad line is reported with its file and line number and skipped.

import Foundation
import Glibc
import RuntimeWatchCore
import Synchronization

/// Follows one audit log file (or stdin) and yields its events.
public final class K8sAuditLogFollower: Sendable {
    public struct Configuration: Sendable {
        /// How often to look for growth and rotation once at the end of the file.
        public var pollInterval: Duration = .milliseconds(200)
        /// Start at the current end of an existing file (`tail -F -n0`, for live monitoring) instead of
        /// its beginning. Ignored after a rotation: a new file is always read from its start.
        public var startAtEnd = false
        /// Stop at the end of the file instead of following it (replay of a finished log).
        public var stopAtEnd = false
        /// A longer line is reported and skipped (the API server's lines are far below this).
        public var maxLineBytes = 8 << 20
        public init() {}
    }

    /// A problem with one line or with the file, for the operator's log.
    public struct Issue: Sendable, CustomStringConvertible {
        public var file: String
        public var detail: String
        public var description: String { "\(file): \(detail)" }
    }

    public let path: String
    public let configuration: Configuration
    private let stopped = Atomic<Bool>(false)
    private let counters = Mutex(Counts())

    /// What the follower has done so far.
    public struct Counts: Sendable, Equatable {
        public var lines: UInt64 = 0
        public var events: UInt64 = 0
        public var malformed: UInt64 = 0
        public var rotations: UInt64 = 0
        public var truncations: UInt64 = 0
    }

    public init(path: String, configuration: Configuration = Configuration()) {
        self.path = path
        self.configuration = configuration
    }

    public var counts: Counts { counters.withLock { $0 } }

    /// Makes the event stream end soon (within one poll interval).
    public func stop() { stopped.store(true, ordering: .relaxed) }

    /// Follows on a dedicated thread into the capture queue. A file keeps what has not been read
    /// yet, so a full queue makes the follower wait for room instead of dropping: nothing is lost.
    /// - Parameters:
    ///   - onIssue: called for every malformed line (with its line number) and file error.
    ///   - ownsQueue: end the outlet's queue when following ends (a follower used on its own).
    ///   - metrics: counts the events by stage as they are queued.
    public func start(outlet: CaptureOutlet, ownsQueue: Bool = false, metrics: K8sAuditIngestMetrics? = nil,
                      onIssue: @escaping @Sendable (Issue) -> Void) {
        let startOffset = currentEndIfStartingThere()
        let thread = Thread { [self] in
            follow(startOffset: startOffset, onIssue: onIssue) { record in
                while !outlet.queue.hasRoom && !stopped.load(ordering: .relaxed) { Self.nap(.milliseconds(5)) }
                if outlet.emit(record), case .k8sAudit(let event) = record.event { metrics?.count([event]) }
            }
            if ownsQueue { outlet.queue.finish() }
        }
        thread.name = "rw-audit-log"
        thread.start()
    }

    /// Reads on the calling thread until `stop()`, the end of stdin, or the end of the file with
    /// `stopAtEnd` (replay of a finished log), handing each event to `emit` in file order.
    public func readToEnd(onIssue: @escaping @Sendable (Issue) -> Void, emit: (EventRecord) -> Void) {
        follow(startOffset: currentEndIfStartingThere(), onIssue: onIssue, emit: emit)
    }

    /// The events of a follower used on its own (tests), through a queue of `capacity`.
    public func events(capacity: Int = 65_536, onIssue: @escaping @Sendable (Issue) -> Void) -> AsyncStream<EventRecord> {
        let queue = CaptureQueue(capacity: capacity)
        start(outlet: CaptureOutlet(queue: queue, source: CaptureSource.k8sAudit), ownsQueue: true, onIssue: onIssue)
        return queue.records()
    }

    /// With startAtEnd, "the end" is the size when the caller asks: a line appended after that is
    /// read even if the reader opens the file a little later.
    private func currentEndIfStartingThere() -> Int64? {
        var st = stat()
        return configuration.startAtEnd && path != "-" && stat(path, &st) == 0 ? Int64(st.st_size) : nil
    }

    private static func nap(_ duration: Duration) {
        WallClock.sleep(nanoseconds: duration.wholeNanoseconds)
    }

    // MARK: - Reading

    /// One open file being read: descriptor, identity, position and the partial last line.
    private struct OpenFile {
        var fd: Int32
        var device: UInt64
        var inode: UInt64
        var offset: Int64 = 0
        var pending: [UInt8] = []
        var lineNumber = 0
        var skippingLongLine = false
    }

    private func follow(startOffset: Int64?, onIssue: @escaping @Sendable (Issue) -> Void, emit: (EventRecord) -> Void) {
        let name = path == "-" ? "<stdin>" : path
        var file: OpenFile?
        var firstOpen = true
        var reportedMissing = false
        var buffer = [UInt8](repeating: 0, count: 1 << 16)

        while !stopped.load(ordering: .relaxed) {
            if file == nil {
                file = open(startingAt: firstOpen ? startOffset : nil)
                if file == nil {
                    if !reportedMissing { onIssue(Issue(file: name, detail: "cannot open (\(String(cString: strerror(errno)))); waiting for it to appear")) }
                    reportedMissing = true
                    if configuration.stopAtEnd { return }
                    Self.nap(configuration.pollInterval)
                    continue
                }
                reportedMissing = false
                firstOpen = false
            }
            let n = readChunk(&file!, into: &buffer)
            if n > 0 {
                consume(buffer[0..<n], file: &file!, name: name, onIssue: onIssue, emit: emit)
                continue
            }
            if n < 0 { onIssue(Issue(file: name, detail: "read failed (\(String(cString: strerror(errno))))")) }
            // At the end of what is there: stdin ends here; a file may have been rotated or truncated.
            if path == "-" || configuration.stopAtEnd {
                finishPartialLine(&file!, name: name, onIssue: onIssue, emit: emit)
                close(file!.fd)
                return
            }
            switch change(of: file!) {
            case .rotated:
                // Anything written to the old file before the rename is read first.
                while case let m = readChunk(&file!, into: &buffer), m > 0 {
                    consume(buffer[0..<m], file: &file!, name: name, onIssue: onIssue, emit: emit)
                }
                finishPartialLine(&file!, name: name, onIssue: onIssue, emit: emit)
                close(file!.fd)
                file = nil
                counters.withLock { $0.rotations += 1 }
            case .truncated:
                file!.offset = 0
                file!.pending.removeAll()
                lseek(file!.fd, 0, SEEK_SET)
                counters.withLock { $0.truncations += 1 }
            case .unchanged:
                Self.nap(configuration.pollInterval)
            }
        }
        if let file { close(file.fd) }
    }

    /// Opens the path (stdin for `-`), positioned at `offset` (clamped to the file's size) or at 0.
    private func open(startingAt offset: Int64?) -> OpenFile? {
        if path == "-" { return OpenFile(fd: 0, device: 0, inode: 0) }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); return nil }
        var f = OpenFile(fd: fd, device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
        if let offset {
            f.offset = Int64(lseek(fd, off_t(min(offset, Int64(st.st_size))), SEEK_SET))
        }
        return f
    }

    private enum Change { case unchanged, rotated, truncated }

    /// Compares the open file with what the path names now.
    private func change(of f: OpenFile) -> Change {
        var st = stat()
        if stat(path, &st) != 0 { return .unchanged }   // renamed away, new file not there yet: keep waiting
        if UInt64(st.st_dev) != f.device || UInt64(st.st_ino) != f.inode { return .rotated }
        if Int64(st.st_size) < f.offset { return .truncated }
        return .unchanged
    }

    /// Reads at most a buffer; retries EINTR. Returns the byte count, 0 at the end, -1 on error.
    private func readChunk(_ f: inout OpenFile, into buffer: inout [UInt8]) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { read(f.fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n > 0 { f.offset += Int64(n) }
            return n
        }
    }

    private func consume(_ bytes: ArraySlice<UInt8>, file f: inout OpenFile, name: String,
                         onIssue: (Issue) -> Void, emit: (EventRecord) -> Void) {
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if f.skippingLongLine {
                f.skippingLongLine = false
            } else if f.pending.isEmpty {
                handleLine(bytes[start..<newline], file: &f, name: name, onIssue: onIssue, emit: emit)
            } else {
                f.pending.append(contentsOf: bytes[start..<newline])
                let line = f.pending
                f.pending.removeAll(keepingCapacity: true)
                handleLine(line[...], file: &f, name: name, onIssue: onIssue, emit: emit)
            }
            start = newline + 1
        }
        guard start < bytes.endIndex, !f.skippingLongLine else { return }
        f.pending.append(contentsOf: bytes[start...])
        if f.pending.count > configuration.maxLineBytes {
            f.lineNumber += 1
            counters.withLock { $0.lines += 1; $0.malformed += 1 }
            onIssue(Issue(file: name, detail: "line \(f.lineNumber): longer than \(configuration.maxLineBytes) bytes; skipped"))
            f.pending.removeAll()
            f.skippingLongLine = true
        }
    }

    /// A last line without a newline, at the end of a finished file.
    private func finishPartialLine(_ f: inout OpenFile, name: String, onIssue: (Issue) -> Void, emit: (EventRecord) -> Void) {
        guard !f.pending.isEmpty, !f.skippingLongLine else { return }
        let line = f.pending
        f.pending.removeAll()
        handleLine(line[...], file: &f, name: name, onIssue: onIssue, emit: emit)
    }

    private func handleLine(_ line: ArraySlice<UInt8>, file f: inout OpenFile, name: String,
                            onIssue: (Issue) -> Void, emit: (EventRecord) -> Void) {
        f.lineNumber += 1
        let result = AuditEventDecoder.decodeLine(line, lineNumber: f.lineNumber)
        var good: UInt64 = 0
        var bad = UInt64(result.issues.count)
        for issue in result.issues { onIssue(Issue(file: name, detail: issue.description)) }
        for e in result.events {
            do {
                emit(try AuditEventDecoder.record(e, position: "line \(f.lineNumber)"))
                good += 1
            } catch {
                bad += 1
                onIssue(Issue(file: name, detail: error.description))
            }
        }
        counters.withLock { $0.lines += 1; $0.events += good; $0.malformed += bad }
    }
}
