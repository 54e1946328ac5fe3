// SPDX-License-Identifier: Apache-2.0
// The startup (and resync) scan: every process in /proc, ordered so a parent always comes before
// its children — the state can then attach each child to a parent it already knows.

import Foundation
import RuntimeWatchCore

public enum ProcSnapshot {
    /// Numeric entries of the procfs root (process ids), ascending. Empty if it cannot be listed.
    public static func listPIDs(root: String = "/proc") -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.compactMap { name in
            guard let first = name.utf8.first, first >= 0x31, first <= 0x39 else { return nil }
            return Int32(name)
        }.sorted()
    }

    /// Orders processes parents-first: roots (no parent, or a parent not in the list) in pid order,
    /// each followed by its descendants depth-first in pid order. Every input appears exactly once,
    /// even with a (corrupt) parent cycle, whose members come last in pid order.
    public static func orderParentsFirst(_ processes: [RuntimeWatchCore.ProcessInfo]) -> [RuntimeWatchCore.ProcessInfo] {
        let byPID = Dictionary(processes.map { ($0.pid, $0) }, uniquingKeysWith: { first, _ in first })
        var children: [ProcessID: [ProcessID]] = [:]
        var roots: [ProcessID] = []
        for p in byPID.values {
            if let parent = p.ppid, parent != p.pid, byPID[parent] != nil {
                children[parent, default: []].append(p.pid)
            } else {
                roots.append(p.pid)
            }
        }
        var ordered: [RuntimeWatchCore.ProcessInfo] = []
        ordered.reserveCapacity(byPID.count)
        var visited = Set<ProcessID>()
        // Iterative depth-first walk: process trees can be deep enough to matter for recursion.
        var stack = roots.sorted(by: >)
        func drain() {
            while let pid = stack.popLast() {
                guard visited.insert(pid).inserted, let p = byPID[pid] else { continue }
                ordered.append(p)
                stack.append(contentsOf: (children[pid] ?? []).sorted(by: >))
            }
        }
        drain()
        for pid in byPID.keys.sorted() where !visited.contains(pid) {
            stack = [pid]
            drain()
        }
        return ordered
    }
}
