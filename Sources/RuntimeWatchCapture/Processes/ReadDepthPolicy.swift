// SPDX-License-Identifier: Apache-2.0
// How much of /proc an exec is read for (issue 14: what a monitor costs the node). The first half
// of every read (cmdline, exe, cgroup) is always done. The rest (stat, status, cwd, descriptors 0-2
// and their sockets) is about nine more syscalls, most of the read, and only some detectors use it:
// the reverse-shell rules read the descriptors of shells, interpreters and network tools and of the
// commands a shell or interpreter runs with a socket or pipe on its stdio (a command loop); every
// rule may need any field of a process in a container, which is what the product watches. A host
// program outside those gets the brief read: its parent is known from its fork and its credentials
// from its parent (unless its executable is set-id or has file capabilities, ProcReader.Depth).
// README "What is read for which process" says the same for users.

import RuntimeWatchCore

enum ReadDepthPolicy {
    /// The depth of an exec read whose first half is `first`. `parentWantsFull` is what the parent's
    /// read decided for its children (copied to the child at fork); nil when the ancestry is unknown
    /// (fork not seen, capacity reached), which reads fully.
    static func depth(first: ProcessInfo, parentWantsFull: Bool?) -> ProcReader.Depth {
        if parentWantsFull ?? true || isInContainer(first) { return .full }
        switch ProgramClassifier.kind(of: first) {
        case .shell, .interpreter, .networkTool: return .full
        case .copyOrEncodeTool, .other: return .brief
        }
    }

    /// Whether the children of the process read as `info` get full reads: everything in a
    /// container; the commands of a shell, interpreter or network tool whose stdio is a socket or a
    /// pipe (or unknown); the children of any process whose stdio is a socket.
    static func childrenWantFull(_ info: ProcessInfo) -> Bool {
        if isInContainer(info) { return true }
        guard info.source != "brief" else { return false }
        guard let fds = info.fds else { return true }
        if fds.contains(where: { $0.kind == .socket }) { return true }
        switch ProgramClassifier.kind(of: info) {
        case .shell, .interpreter, .networkTool: return fds.contains { $0.kind == .pipe }
        case .copyOrEncodeTool, .other: return false
        }
    }

    /// The cgroup names a container (the state attributes it by the same parser).
    private static func isInContainer(_ info: ProcessInfo) -> Bool {
        guard let cgroup = info.cgroup else { return false }
        return CgroupParser.parse(cgroup) != nil
    }
}
