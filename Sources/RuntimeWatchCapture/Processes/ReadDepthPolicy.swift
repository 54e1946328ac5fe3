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
    /// - Parameter containers: the capture loop's memo of which cgroups name a container.
    static func depth(first: ProcessInfo, parentWantsFull: Bool?, containers: ContainerCgroups = ContainerCgroups()) -> ProcReader.Depth {
        if parentWantsFull ?? true || containers.contains(first.cgroup) { return .full }
        switch ProgramClassifier.kind(of: first) {
        case .shell, .interpreter, .networkTool: return .full
        case .copyOrEncodeTool, .other: return .brief
        }
    }

    /// Whether the children of the process read as `info` get full reads: everything in a
    /// container; the commands of a shell, interpreter or network tool whose stdio is a socket or a
    /// pipe (or unknown); the children of any process whose stdio is a socket.
    static func childrenWantFull(_ info: ProcessInfo, containers: ContainerCgroups = ContainerCgroups()) -> Bool {
        if containers.contains(info.cgroup) { return true }
        guard info.source != "brief" else { return false }
        guard let fds = info.fds else { return true }
        if fds.contains(where: { $0.kind == .socket }) { return true }
        switch ProgramClassifier.kind(of: info) {
        case .shell, .interpreter, .networkTool: return fds.contains { $0.kind == .pipe }
        case .copyOrEncodeTool, .other: return false
        }
    }
}

/// Whether a cgroup path names a container (the state attributes it by the same parser), with the
/// last answer kept: an exec storm's processes share one cgroup, and parsing it twice per exec was
/// 1.9% of the capture thread (issue 14's profile).
final class ContainerCgroups {
    private var last: (cgroup: String, inContainer: Bool)?

    func contains(_ cgroup: String?) -> Bool {
        guard let cgroup else { return false }
        if let last, last.cgroup == cgroup { return last.inContainer }
        let inContainer = CgroupParser.parse(cgroup) != nil
        last = (cgroup, inContainer)
        return inContainer
    }
}
