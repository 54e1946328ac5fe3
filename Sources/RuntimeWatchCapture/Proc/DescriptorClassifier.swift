// SPDX-License-Identifier: Apache-2.0
// What a /proc/<pid>/fd/N link target says about the descriptor: a path, `pipe:[inode]`,
// `socket:[inode]`, `anon_inode:[eventfd]`, a terminal, /dev/null, or a deleted file.

import RuntimeWatchCore

public enum DescriptorClassifier {
    /// Classifies a readlink target. Socket details are filled in later from /proc/<pid>/net.
    public static func classify(fd: Int32, target: String) -> DescriptorInfo {
        if let inode = bracketedInode(target, prefix: "pipe:") {
            return DescriptorInfo(fd: fd, kind: .pipe, target: target, inode: inode)
        }
        if let inode = bracketedInode(target, prefix: "socket:") {
            return DescriptorInfo(fd: fd, kind: .socket, target: target, inode: inode)
        }
        if target.hasPrefix("anon_inode:") {
            return DescriptorInfo(fd: fd, kind: .anon, target: target)
        }
        if target == "/dev/null" {
            return DescriptorInfo(fd: fd, kind: .devnull, target: target)
        }
        if target.hasPrefix("/dev/pts/") || target.hasPrefix("/dev/tty") || target == "/dev/console" || target == "/dev/ptmx" {
            return DescriptorInfo(fd: fd, kind: .tty, target: target)
        }
        if target.hasSuffix(" (deleted)") {
            return DescriptorInfo(fd: fd, kind: .deleted, target: target)
        }
        if target.hasPrefix("/") {
            return DescriptorInfo(fd: fd, kind: .file, target: target)
        }
        return DescriptorInfo(fd: fd, kind: .other, target: target)
    }

    /// `prefix[123]` → 123.
    static func bracketedInode(_ target: String, prefix: String) -> UInt64? {
        guard target.hasPrefix(prefix), target.hasSuffix("]") else { return nil }
        let inner = target.dropFirst(prefix.count)
        guard inner.first == "[" else { return nil }
        return UInt64(inner.dropFirst().dropLast())
    }
}
