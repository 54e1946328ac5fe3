// SPDX-License-Identifier: Apache-2.0
// What one read of /proc/<pid> produced: the process (maybe partial), how complete it is, and
// anything odd found on the way (truncated or garbage files), each naming the file and why.

import RuntimeWatchCore

/// How much of a process capture could read.
public enum ProcReadOutcome: String, Sendable, Hashable, CaseIterable {
    /// Every file was read (fields a kernel thread does not have are simply absent).
    case complete
    /// The process exited (or became a zombie) while being read; `info` has what was read first.
    case partial
    /// The process was gone before anything could be read; `info` is nil.
    case vanished
}

/// Something odd about a /proc file that did not stop the read.
public struct ProcReadIssue: Sendable, Hashable, CustomStringConvertible {
    public var pid: Int32
    /// File relative to /proc/<pid>.
    public var file: String
    public var reason: String
    public init(pid: Int32, file: String, reason: String) { self.pid = pid; self.file = file; self.reason = reason }
    public var description: String { "/proc/\(pid)/\(file): \(reason)" }
}

/// The result of `ProcReader.read(pid:)`.
public struct ProcReadResult: Sendable, Hashable {
    /// The process as read; nil when `outcome == .vanished`. `info.source` is "proc" or "partial".
    public var info: ProcessInfo?
    public var outcome: ProcReadOutcome
    public var issues: [ProcReadIssue]
    public init(info: ProcessInfo?, outcome: ProcReadOutcome, issues: [ProcReadIssue] = []) {
        self.info = info; self.outcome = outcome; self.issues = issues
    }
}
