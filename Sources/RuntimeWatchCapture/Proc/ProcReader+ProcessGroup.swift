// SPDX-License-Identifier: Apache-2.0
// The processes that share a connecting process's pipeline: its children and its siblings that are
// in its process group (a shell runs every member of `cat f | sh -i | nc h p > f` as children in
// one group). Found through /proc/<pid>/task/<tid>/children instead of a scan of all of /proc, so
// the cost is a few small reads per connect. Used to re-read the descriptors of shells whose
// pipeline partner just connected: a subshell or a busybox applet forked without exec has no exec
// read of its own, so only this re-read shows where its stdio go. Read through `ProcDirectory`
// with the reader's size caps, like every other /proc read.

import RuntimeWatchSystem

extension ProcReader {
    /// Most pids `processGroupMembers` returns (a pipeline is a handful; a fork bomb must not turn
    /// into a /proc storm).
    public static let processGroupLimit = 32
    /// Most threads whose children are listed per process.
    static let childrenThreadLimit = 64
    /// A task's children file: pids of at most 7 digits and a space each.
    static let childrenFileLimit = 16 * 1024

    /// Children of `pid` and children of its parent, in `pid`'s process group, `pid` excluded.
    /// Empty when /proc does not have them (exited, no CONFIG_PROC_CHILDREN).
    public func processGroupMembers(of pid: Int32) -> [Int32] {
        // The connector's stat and children through one open directory.
        guard let (own, ownChildren) = inDirectory(of: pid, { dir in stat(in: dir).map { ($0, children(in: dir)) } }) else { return [] }
        var candidates = ownChildren
        if own.ppid > 1 { candidates += inDirectory(of: own.ppid, children(in:)) ?? [] }
        var members: [Int32] = []
        for candidate in candidates where candidate != pid && !members.contains(candidate) {
            guard members.count < Self.processGroupLimit else { break }
            if let s = inDirectory(of: candidate, stat(in:)), s.pgrp == own.pgrp { members.append(candidate) }
        }
        return members
    }

    /// `body` over /proc/<pid>, opened for it and closed after; nil when the process is gone.
    private func inDirectory<T>(of pid: Int32, _ body: (ProcDirectory) -> T?) -> T? {
        guard let dir = try? ProcDirectory.open("\(root)/\(pid)") else { return nil }
        defer { dir.close() }
        return body(dir)
    }

    /// Pids listed in task/*/children (every thread's children).
    private func children(in dir: ProcDirectory) -> [Int32] {
        guard let tasks = try? dir.entries("task", limit: Self.childrenThreadLimit) else { return [] }
        var result: [Int32] = []
        for task in tasks {
            guard let contents = try? dir.read("task/\(task)/children", limit: Self.childrenFileLimit) else { continue }
            result += contents.bytes.split(separator: UInt8(ascii: " ")).compactMap { field in
                Int32(String(decoding: field.filter { $0 != UInt8(ascii: "\n") }, as: UTF8.self))
            }
        }
        return result
    }
}
