// SPDX-License-Identifier: Apache-2.0
// Finds the token files (TokenLocations) and marks each one. Runs at start and then every
// rescan interval: new pods get marked, rotated tokens (kubelet points `..data` at a new directory,
// so the token is a new inode) get marked, and files that are gone leave the table.
//
// Why a periodic scan and not inotify: the volumes are tmpfs mounts appearing on pod directories,
// and the rotation happens inside each mount; inotify watches would be needed on every level and
// re-added after every mount, and container roots cannot be watched from the host at all. A scan is a
// few syscalls per volume (cheap at node scale), bounded by caps, and catches every case the same way.
// Marking again an already-marked inode is a no-op for the kernel, so every scan simply marks all.

import Glibc
import RuntimeWatchCore
import RuntimeWatchSystem

struct TokenRescanner: Sendable {
    let group: FanotifyGroup
    let mask: FanotifyMask
    let locations: TokenLocations
    let maxMarks: Int
    let shared: TokenWatchShared

    /// One full scan: marks every candidate that exists and replaces the table of marked files.
    func scan() {
        let roots = liveContainerRoots()
        let (candidates, truncated) = locations.candidates(containerRoots: roots)
        var table: [FanotifyFileID: WatchedToken] = [:]
        var failures: UInt64 = 0
        var lastError: String?
        var capped = false
        for candidate in candidates {
            if table.count >= maxMarks {
                capped = true
                break
            }
            do {
                let marked = try group.markFile(at: candidate.path, inRoot: candidate.root, mask: mask)
                table[marked.id] = Self.merge(table[marked.id], candidate.watched)
            } catch where Self.isAbsent(error) {
                continue
            } catch {
                failures += 1
                lastError = "marking \(candidate.root ?? "")\(candidate.path): \(error)"
            }
        }
        shared.marked.withLock { $0 = table }
        shared.count {
            $0.marks = table.count
            $0.markFailures += failures
            $0.rescans += 1
            if truncated || capped { $0.truncatedScans += 1 }
            if let lastError { $0.lastError = lastError }
        }
    }

    /// The container roots still alive; the dead ones are forgotten.
    private func liveContainerRoots() -> [ProcessID] {
        shared.containerRoots.withLock { roots in
            roots = roots.filter { access("/proc/\($0.rawValue)", F_OK) == 0 }
            return roots.sorted()
        }
    }

    /// The file is not there (yet, or any more): normal as pods and containers come and go.
    static func isAbsent(_ error: SystemError) -> Bool {
        switch error.errno {
        case .noSuchFileOrDirectory, .notDirectory, .noSuchProcess: true
        default: false
        }
    }

    /// One inode reached by two candidates (the kubelet volume and a container's bind mount of it):
    /// keep the host path of the kubelet volume and the in-container path of the container.
    static func merge(_ existing: WatchedToken?, _ new: WatchedToken) -> WatchedToken {
        guard var existing else { return new }
        if new.isKubeletVolume && !existing.isKubeletVolume {
            var merged = new
            merged.containerPath = merged.containerPath ?? existing.containerPath
            return merged
        }
        existing.containerPath = existing.containerPath ?? new.containerPath
        return existing
    }
}
