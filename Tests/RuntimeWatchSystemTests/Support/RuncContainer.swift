// SPDX-License-Identifier: Apache-2.0
// A real container for live tests: busybox rootfs, kubepods-style cgroup, CRI annotations, run
// detached by the host's runc under its default root so /run/runc/<id>/state.json exists exactly as
// on a node. Every wait is bounded and `stop()` removes everything it made, also after a failed start.

import Foundation

/// A runc container shaped like a Kubernetes pod container. Not thread-safe; one test owns it.
///
///     let container = try RuncContainer(RuncContainer.Configuration())
///     defer { container.stop() }
///     try container.start()
///     let result = try container.exec(["id"])
final class RuncContainer {
    struct Configuration {
        var podName = "probe-\(RuncContainer.randomHex(bytes: 3))"
        var namespace = "rw-test"
        var containerName = "probe"
        var image = "docker.io/library/busybox:1.36"
        /// The container's init: long-running so tests can exec into it.
        var args = ["sleep", "3600"]
        var env: [String] = []
        /// "burstable", "besteffort" or "guaranteed" (no QoS level in the cgroup path, as kubelet does).
        var qosClass = "burstable"
        /// Bind the host's /usr (and libraries) read-only so python3, bash, socat run inside.
        var hostUsr = false
        /// Extra binds, e.g. a token dir onto /var/run/secrets/kubernetes.io/serviceaccount.
        var binds: [BindMount] = []
        /// Join this network namespace (`/var/run/netns/<name>`); nil gives the container its own, empty one.
        var networkNamespacePath: String?
    }

    static let runc = "/usr/sbin/runc"
    /// runc's default state root; the OCI metadata reader looks here.
    static let runcRoot = "/run/runc"

    let configuration: Configuration
    /// 64 lowercase hex characters, as containerd and CRI-O name containers.
    let id: String
    let podUID: String
    /// `linux.cgroupsPath` for the cgroupfs driver, relative to each hierarchy's root.
    let cgroupsPath: String
    /// The bundle directory (config.json, rootfs/, init.out, init.err).
    let bundle: String
    /// Host pid of the container's init, set by `start()`.
    private(set) var initPID: Int32 = 0

    private let scratch: TemporaryDirectory
    private var cgroupDirsToRemove: [String] = []
    private var started = false
    private var stopped = false

    /// Builds the bundle (rootfs and config.json). Nothing runs until `start()`.
    init(_ configuration: Configuration = Configuration()) throws {
        self.configuration = configuration
        id = Self.randomHex(bytes: 32)
        podUID = UUID().uuidString.lowercased()
        let qosLevel = configuration.qosClass == "guaranteed" ? "" : "/\(configuration.qosClass)"
        cgroupsPath = "/kubepods\(qosLevel)/pod\(podUID)/\(id)"
        scratch = try TemporaryDirectory(prefix: "rw-runc")
        bundle = scratch.path
        do {
            try FileManager.default.createDirectory(atPath: "\(bundle)/rootfs", withIntermediateDirectories: true)
            try BusyboxRootfs.build(at: "\(bundle)/rootfs", hostUsr: configuration.hostUsr)
            try RuncSpec.document(for: configuration, id: id, podUID: podUID, cgroupsPath: cgroupsPath)
                .write(to: URL(fileURLWithPath: "\(bundle)/config.json"))
        } catch {
            scratch.remove()
            throw error
        }
    }

    deinit { stop() }

    /// Path of runc's state file for this container (exists while it is created or running).
    var statePath: String { "\(Self.runcRoot)/\(id)/state.json" }

    /// Runs the container detached (`runc run --detach`, no terminal; init's output goes to
    /// `init.out`/`init.err` in the bundle), then checks its init is in the kubepods cgroup.
    /// - Throws: `HarnessError` with runc's output if it fails; the container is cleaned up first.
    func start() throws {
        precondition(!started, "RuncContainer.start() called twice")
        started = true
        cgroupDirsToRemove = Self.cgroupDirectoriesToCreate(for: cgroupsPath)
        do {
            let result = try CommandRunner.run(
                [Self.runc, "--root", Self.runcRoot, "run", "--detach", "--bundle", bundle, id],
                timeout: .seconds(30), stdoutPath: "\(bundle)/init.out", stderrPath: "\(bundle)/init.err")
            guard result.status == 0, !result.timedOut else {
                throw HarnessError("runc run \(id) failed: \(result)")
            }
            initPID = try readInitPID()
            let cgroup = (try? String(contentsOfFile: "/proc/\(initPID)/cgroup", encoding: .utf8)) ?? ""
            guard cgroup.contains(cgroupsPath) else {
                throw HarnessError("init \(initPID) is not in \(cgroupsPath); /proc/\(initPID)/cgroup:\n\(cgroup)")
            }
        } catch {
            stop()
            throw error
        }
    }

    /// Runs `argv` inside the container (`runc exec`, no terminal) and waits at most `timeout`.
    func exec(_ argv: [String], timeout: Duration = .seconds(20), stdin: String? = nil) throws -> CommandResult {
        try CommandRunner.run([Self.runc, "--root", Self.runcRoot, "exec", id] + argv, timeout: timeout, stdin: stdin)
    }

    /// Starts `argv` inside the container without waiting for it (`runc exec --detach`); its output
    /// goes to `outputPath` (default: a file in the bundle). Returns its host pid.
    @discardableResult
    func execDetached(_ argv: [String], outputPath: String? = nil) throws -> Int32 {
        let pidFile = "\(bundle)/exec-\(Self.randomHex(bytes: 4)).pid"
        let output = outputPath ?? "\(bundle)/exec-\(Self.randomHex(bytes: 4)).out"
        let result = try CommandRunner.run(
            [Self.runc, "--root", Self.runcRoot, "exec", "--detach", "--pid-file", pidFile, id] + argv,
            timeout: .seconds(20), stdoutPath: output, stderrPath: output)
        guard result.status == 0, !result.timedOut else {
            throw HarnessError("runc exec --detach \(argv) failed: \(result) \(CommandRunner.readCapped(output))")
        }
        let text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError("runc exec --detach wrote no pid to \(pidFile)")
        }
        return pid
    }

    /// Kills and deletes the container, removes the cgroup directories it created and the bundle.
    /// Idempotent, never throws; waits at most ~15 s in total.
    func stop() {
        guard !stopped else { return }
        stopped = true
        if started {
            _ = try? CommandRunner.run([Self.runc, "--root", Self.runcRoot, "kill", id, "KILL"], timeout: .seconds(5))
            _ = try? CommandRunner.run([Self.runc, "--root", Self.runcRoot, "delete", "--force", id], timeout: .seconds(10))
            for dir in cgroupDirsToRemove {
                // Deepest first; EBUSY means someone else's cgroup still lives below: leave it.
                _ = waitUntil(timeout: .seconds(1)) { rmdir(dir) == 0 || errno == ENOENT || errno == EBUSY || errno == ENOTEMPTY }
            }
        }
        scratch.remove()
    }

    // MARK: - Helpers

    private func readInitPID() throws -> Int32 {
        let state = try CommandRunner.check([Self.runc, "--root", Self.runcRoot, "state", id], timeout: .seconds(10))
        guard let object = try JSONSerialization.jsonObject(with: Data(state.stdout.utf8)) as? [String: Any],
              let pid = object["pid"] as? Int, pid > 0 else {
            throw HarnessError("runc state \(id) has no pid: \(state.stdout)")
        }
        return Int32(pid)
    }

    /// Mount points of every cgroup hierarchy (v1 controllers, named hierarchies, the v2 unified tree).
    static func cgroupMountPoints() -> [String] {
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        return mounts.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 3, fields[2] == "cgroup" || fields[2] == "cgroup2" else { return nil }
            return String(fields[1])
        }
    }

    /// The directories runc will create for `path` in every hierarchy that do not exist yet, deepest
    /// first: those are the ones `stop()` removes (the container's own leaf is removed by runc).
    static func cgroupDirectoriesToCreate(for path: String) -> [String] {
        let components = path.split(separator: "/").map(String.init)
        var dirs: [String] = []
        for mountPoint in cgroupMountPoints() {
            for depth in 1...components.count {
                let dir = mountPoint + "/" + components.prefix(depth).joined(separator: "/")
                if !FileManager.default.fileExists(atPath: dir) { dirs.append(dir) }
            }
        }
        return dirs.sorted { $0.split(separator: "/").count > $1.split(separator: "/").count }
    }

    /// Ids of containers under runc's default root.
    static func listContainerIDs() -> [String] {
        let result = try? CommandRunner.run([runc, "--root", runcRoot, "list", "--quiet"], timeout: .seconds(10))
        return (result?.stdout ?? "").split(separator: "\n").map(String.init)
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}
