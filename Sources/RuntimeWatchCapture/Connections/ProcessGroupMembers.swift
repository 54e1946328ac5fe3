// SPDX-License-Identifier: Apache-2.0
// The processes that share a connecting process's pipeline: its children and its siblings that are
// in its process group (a shell runs every member of `cat f | sh -i | nc h p > f` as children in
// one group). Found through /proc/<pid>/task/<tid>/children instead of a scan of all of /proc, so
// the cost is a few small reads per connect. Used to re-read the descriptors of shells whose
// pipeline partner just connected: a subshell or a busybox applet forked without exec has no exec
// read of its own, so only this re-read shows where its stdio go.

import Foundation

enum ProcessGroupMembers {
    /// Most pids returned (a pipeline is a handful; a fork bomb must not turn into a /proc storm).
    static let limit = 32

    /// Children of `pid` and children of its parent, in `pid`'s process group, `pid` excluded.
    /// Empty when /proc does not have them (exited, no CONFIG_PROC_CHILDREN).
    static func of(_ pid: Int32, root: String = "/proc") -> [Int32] {
        guard let own = stat(pid, root: root) else { return [] }
        var candidates = children(of: pid, root: root)
        if own.ppid > 1 { candidates += children(of: own.ppid, root: root) }
        var members: [Int32] = []
        for candidate in candidates where candidate != pid && !members.contains(candidate) {
            guard members.count < limit else { break }
            if let s = stat(candidate, root: root), s.pgrp == own.pgrp { members.append(candidate) }
        }
        return members
    }

    /// Pids listed in /proc/<pid>/task/*/children (every thread's children).
    static func children(of pid: Int32, root: String) -> [Int32] {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(pid)/task") else { return [] }
        var result: [Int32] = []
        for task in tasks.prefix(64) {
            guard let text = read("\(root)/\(pid)/task/\(task)/children", limit: 16 * 1024) else { continue }
            result += text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return result
    }

    /// ppid and pgrp from /proc/<pid>/stat (fields 4 and 5, counted after the last ')').
    static func stat(_ pid: Int32, root: String) -> (ppid: Int32, pgrp: Int32)? {
        guard let text = read("\(root)/\(pid)/stat", limit: 4096), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count >= 3, let ppid = Int32(fields[1]), let pgrp = Int32(fields[2]) else { return nil }
        return (ppid, pgrp)
    }

    private static func read(_ path: String, limit: Int) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: limit) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
