// SPDX-License-Identifier: Apache-2.0
// The two things a response can do to a workload: freeze (or thaw) a container's cgroup, and
// SIGKILL a process. Called only by `run`'s response executor and `runtime-watch thaw`; each call
// returns the errno on failure so the `response-taken` alert can say why it did not happen.
//
// Freezing needs no capability: the monitor runs as root and the cgroup control files are owned
// by root (mode 0644), so a write is allowed by ownership even after hardening drops
// CAP_DAC_OVERRIDE. Killing a process of another uid needs CAP_KILL (kept only when a `kill`
// response is configured: SteadyStateCapabilities).

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif
import SystemPackage

/// The cgroup hierarchy that freezes: the unified v2 tree, else the v1 freezer controller.
public enum FreezerHierarchy: Sendable, Hashable {
    /// cgroup v2 at `root` (`cgroup.freeze`: "1" freezes, "0" thaws).
    case v2(root: String)
    /// cgroup v1 freezer at `root` (`freezer.state`: FROZEN / THAWED).
    case v1(root: String)

    /// The node's hierarchy under `mount` (normally /sys/fs/cgroup), or nil when neither exists.
    public static func detect(mount: String = "/sys/fs/cgroup") -> FreezerHierarchy? {
        if access(mount + "/cgroup.controllers", F_OK) == 0 { return .v2(root: mount) }
        if access(mount + "/freezer", F_OK) == 0 { return .v1(root: mount + "/freezer") }
        return nil
    }

    /// The directory cgroup paths are relative to.
    public var root: String {
        switch self { case .v2(let root), .v1(let root): root }
    }

    /// The control file of the cgroup at `path` (relative to `root`, starting with "/").
    public func controlFile(forCgroup path: String) -> String {
        switch self {
        case .v2(let root): root + path + "/cgroup.freeze"
        case .v1(let root): root + path + "/freezer.state"
        }
    }

    /// Freezes (`frozen`) or thaws the cgroup at `path`.
    /// - Returns: the control file written, or the failed call with its errno.
    public func setFrozen(_ frozen: Bool, cgroup path: String) -> Result<String, SystemError> {
        let file = controlFile(forCgroup: path)
        let value: String
        switch self {
        case .v2: value = frozen ? "1" : "0"
        case .v1: value = frozen ? "FROZEN" : "THAWED"
        }
        do {
            let fd = try FileDescriptor.open(file, .writeOnly, options: [.closeOnExec])
            defer { try? fd.close() }
            _ = try fd.writeAll(value.utf8)
            return .success(file)
        } catch let errno as Errno {
            return .failure(SystemError(operation: "write \(file)", errno: errno))
        } catch {
            return .failure(SystemError(operation: "write \(file)", errno: .ioError))
        }
    }
}

public enum ProcessKill {
    /// Sends SIGKILL to `pid` (host pid namespace).
    public static func kill(pid: Int32) -> Result<Void, SystemError> {
        guard pid > 0 else { return .failure(SystemError(operation: "kill(\(pid))", errno: .invalidArgument)) }
        if Glibc.kill(pid, SIGKILL) == 0 { return .success(()) }
        return .failure(SystemError(operation: "kill(\(pid), SIGKILL)", errno: Errno(rawValue: errno)))
    }
}
