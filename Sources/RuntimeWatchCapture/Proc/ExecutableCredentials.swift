// SPDX-License-Identifier: Apache-2.0
// Whether an exec changed the credentials the process inherited at fork: its executable is
// set-user-ID or set-group-ID, or carries file capabilities. The brief read (ProcReader.Depth)
// skips status unless one of these holds. The set-id bits come with the stat of the executable
// every brief read makes; file capabilities need a getxattr through /proc/<pid>/exe, a whole path
// walk, so their answer is kept per executable state (inode and ctime: setting or removing file
// capabilities moves the ctime). A node runs the same few executables over and over, so that is
// one getxattr per executable instead of one per exec.

import RuntimeWatchSystem

/// The answers of one reader thread (the capture loop's). Bounded: cleared when full.
public final class ExecutableCredentials {
    static let capacity = 4096
    private var fileCapabilities: [ExecutableIdentity: Bool] = [:]

    public init() {}

    /// True when the exec behind `dir` changed the inherited credentials; nil when that cannot be
    /// told (the process is gone). File capabilities are looked up in `memory` and kept there, when given.
    static func changeInherited(_ dir: ProcDirectory, remembering memory: ExecutableCredentials?) -> Bool? {
        guard let identity = dir.executableIdentity() else { return nil }
        if identity.isSetID { return true }
        if let known = memory?.fileCapabilities[identity] { return known }
        let capable = dir.executableHasFileCapabilities()
        // The getxattr went by path: kept only when the exe link still names the same file state,
        // so a process that exec'ed again in between cannot leave a wrong answer behind.
        if let memory, dir.executableIdentity() == identity {
            if memory.fileCapabilities.count >= capacity { memory.fileCapabilities.removeAll(keepingCapacity: true) }
            memory.fileCapabilities[identity] = capable
        }
        return capable
    }

    /// Executable states remembered.
    public var count: Int { fileCapabilities.count }
}
