// SPDX-License-Identifier: Apache-2.0
// Finds a container's OCI bundle on the node (containerd task dirs, containers/storage, runc/crun
// state) and turns its config.json annotations into `ContainerInfo`. This is capture-side code: it
// reads the host, and whatever it read goes into the `container` event so replay never needs the host.

import RuntimeWatchCore

/// Reads container and pod metadata from the OCI runtime state on the node.
///
/// Lookup order follows `roots`; the first place holding readable state for the id wins. A file that
/// exists but cannot be used (unreadable, too large, malformed) does not stop the search: a later root
/// may still answer, and the first such problem is what gets thrown if none does.
/// The reader holds no cache; pair it with `OCIMetadataCache` to read each container once.
public struct OCIMetadataReader: Sendable {
    public var roots: OCIRuntimeRoots
    /// Prefix for every host path, including bundle paths named inside state files: "" on the host,
    /// e.g. "/host" in a DaemonSet that mounts the node's / there, or a temp dir in tests.
    public var hostRoot: String
    /// Largest config.json or state file parsed; larger files are refused as `tooLarge`.
    public var maxFileBytes: Int
    /// Most entries read from one directory when expanding namespaces or `*` in a root.
    public var maxDirectoryEntries: Int

    public init(roots: OCIRuntimeRoots = .standard, hostRoot: String = "", maxFileBytes: Int = 4 << 20,
                maxDirectoryEntries: Int = 256) {
        self.roots = roots
        self.hostRoot = hostRoot.hasSuffix("/") ? String(hostRoot.dropLast()) : hostRoot
        self.maxFileBytes = maxFileBytes
        self.maxDirectoryEntries = maxDirectoryEntries
    }

    /// The metadata of the container a cgroup path named. The runtime is the one the annotations name,
    /// else the cgroup's (unless "unknown"), else the root's. Pod UID and QoS come from the cgroup path;
    /// annotations supply the pod UID only when the cgroup path had none.
    /// - Throws: `OCIMetadataError` naming the path and reason when no root yields usable state.
    public func read(_ match: CgroupMatch) throws(OCIMetadataError) -> OCIMetadata {
        try read(containerID: match.id, cgroup: match)
    }

    /// As `read(_:)`, for a container id known without a cgroup path (`cgroup` nil).
    public func read(containerID id: ContainerID, cgroup: CgroupMatch? = nil) throws(OCIMetadataError) -> OCIMetadata {
        guard Self.isSafeFileName(id.rawValue) else {
            throw OCIMetadataError(containerID: id, path: nil, reason: .invalidContainerID)
        }
        var firstProblem: OCIMetadataError?
        var searched = 0
        for candidate in candidates(for: id.rawValue) {
            searched += 1
            let attempt: Result<OCIMetadata, OCIMetadataError>?
            switch candidate.file {
            case .bundleConfig: attempt = readBundleConfig(candidate, id: id, cgroup: cgroup)
            case .runtimeState: attempt = readRuntimeState(candidate, id: id, cgroup: cgroup)
            }
            switch attempt {
            case .success(let metadata)?: return metadata
            case .failure(let problem)?: if firstProblem == nil { firstProblem = problem }
            case nil: continue
            }
        }
        throw firstProblem ?? OCIMetadataError(containerID: id, path: nil, reason: .notFound(searched: searched))
    }

    // MARK: - Candidates

    struct Candidate {
        enum File { case bundleConfig, runtimeState }
        var path: String
        var file: File
        var runtime: String
    }

    /// Every path that may hold state for `id`, in search order. Built eagerly: a root has a handful
    /// of namespaces at most, and listing them costs less than the file reads that follow.
    func candidates(for id: String) -> [Candidate] {
        var out: [Candidate] = []
        for root in roots.roots {
            for base in expand(root.path) {
                switch root.layout {
                case .namespacedBundles:
                    for ns in DirectoryEntries.names(in: base, limit: maxDirectoryEntries) {
                        let runtime = ns == "moby" ? "docker" : root.runtime
                        out.append(Candidate(path: "\(base)/\(ns)/\(id)/config.json", file: .bundleConfig, runtime: runtime))
                    }
                case .containersStorage:
                    out.append(Candidate(path: "\(base)/overlay-containers/\(id)/userdata/config.json", file: .bundleConfig, runtime: root.runtime))
                case .runtimeState:
                    out.append(Candidate(path: "\(base)/\(id)/state.json", file: .runtimeState, runtime: root.runtime))
                    out.append(Candidate(path: "\(base)/\(id)/status", file: .runtimeState, runtime: root.runtime))
                case .namespacedRuntimeState:
                    for ns in DirectoryEntries.names(in: base, limit: maxDirectoryEntries) {
                        out.append(Candidate(path: "\(base)/\(ns)/\(id)/state.json", file: .runtimeState, runtime: root.runtime))
                    }
                }
            }
        }
        return out
    }

    /// `hostRoot + path`, with each `*` component replaced by every entry of the directory before it.
    func expand(_ path: String) -> [String] {
        var prefixes = [hostRoot]
        for component in path.split(separator: "/") {
            if component == "*" {
                prefixes = prefixes.flatMap { p in
                    DirectoryEntries.names(in: p.isEmpty ? "/" : p, limit: maxDirectoryEntries).map { "\(p)/\($0)" }
                }
            } else {
                prefixes = prefixes.map { "\($0)/\(component)" }
            }
        }
        return prefixes
    }

    // MARK: - Reading

    /// nil when the file does not exist (look elsewhere); otherwise the metadata or the problem.
    private func readBundleConfig(_ candidate: Candidate, id: ContainerID, cgroup: CgroupMatch?) -> Result<OCIMetadata, OCIMetadataError>? {
        switch loadConfig(at: candidate.path, id: id) {
        case nil: return nil
        case .failure(let problem)?: return .failure(problem)
        case .success(let config)?:
            return .success(metadata(id: id, cgroup: cgroup, annotations: config.annotations ?? [:],
                                     args: config.process?.args, source: candidate.path, statePath: nil,
                                     locationRuntime: candidate.runtime))
        }
    }

    private func readRuntimeState(_ candidate: Candidate, id: ContainerID, cgroup: CgroupMatch?) -> Result<OCIMetadata, OCIMetadataError>? {
        let bytes: [UInt8]
        switch BoundedFileRead.contents(of: candidate.path, limit: maxFileBytes) {
        case .failure(.missing): return nil
        case .failure(let failure): return .failure(error(failure, id: id, path: candidate.path))
        case .success(let b): bytes = b
        }
        let state: OCIRuntimeStateDocument
        switch OCIJSON.decode(OCIRuntimeStateDocument.self, from: bytes) {
        case .failure(let failure): return .failure(OCIMetadataError(containerID: id, path: candidate.path, reason: .malformed(detail: failure.detail)))
        case .success(let s): state = s
        }

        // runc copies the spec's annotations into its labels; they fill any key config.json lacks and
        // stand in for it when the bundle is gone.
        var labelAnnotations = state.labelAnnotations
        labelAnnotations["bundle"] = nil

        var configProblem: OCIMetadataError?
        if let bundle = state.bundlePath {
            guard bundle.hasPrefix("/") else {
                return .failure(OCIMetadataError(containerID: id, path: candidate.path,
                                                 reason: .malformed(detail: "bundle path \"\(bundle)\" is not absolute")))
            }
            let configPath = "\(hostRoot)\(bundle)/config.json"
            switch loadConfig(at: configPath, id: id) {
            case .success(let config)?:
                let annotations = labelAnnotations.merging(config.annotations ?? [:]) { _, fromConfig in fromConfig }
                return .success(metadata(id: id, cgroup: cgroup, annotations: annotations,
                                         args: config.process?.args, source: configPath, statePath: candidate.path,
                                         locationRuntime: candidate.runtime))
            case .failure(let problem)?: configProblem = problem
            case nil: break
            }
        }
        if !labelAnnotations.isEmpty {
            return .success(metadata(id: id, cgroup: cgroup, annotations: labelAnnotations, args: nil,
                                     source: candidate.path, statePath: candidate.path, locationRuntime: candidate.runtime))
        }
        return .failure(configProblem ?? OCIMetadataError(containerID: id, path: candidate.path, reason: .noBundle))
    }

    /// nil when missing; the parsed config or the reason it cannot be used.
    private func loadConfig(at path: String, id: ContainerID) -> Result<OCIConfigDocument, OCIMetadataError>? {
        switch BoundedFileRead.contents(of: path, limit: maxFileBytes) {
        case .failure(.missing): return nil
        case .failure(let failure): return .failure(error(failure, id: id, path: path))
        case .success(let bytes):
            switch OCIJSON.decode(OCIConfigDocument.self, from: bytes) {
            case .success(let config): return .success(config)
            case .failure(let failure): return .failure(OCIMetadataError(containerID: id, path: path, reason: .malformed(detail: failure.detail)))
            }
        }
    }

    private func error(_ failure: BoundedReadFailure, id: ContainerID, path: String) -> OCIMetadataError {
        let reason: OCIMetadataError.Reason
        switch failure {
        case .missing: reason = .notFound(searched: 1)
        case .errno(let e): reason = .unreadable(errno: e)
        case .tooLarge(let bytes): reason = .tooLarge(bytes: bytes, limit: maxFileBytes)
        case .notRegularFile: reason = .notRegularFile
        }
        return OCIMetadataError(containerID: id, path: path, reason: reason)
    }

    private func metadata(id: ContainerID, cgroup: CgroupMatch?, annotations: [String: String], args: [String]?,
                          source: String, statePath: String?, locationRuntime: String) -> OCIMetadata {
        let identity = OCIAnnotations.identity(from: annotations)
        // Annotations are written by the CRI runtime itself, so they name it best; the cgroup path comes
        // next (its bare-id-under-pod form is only a guess, see CgroupParser), the directory last.
        let runtime = identity.runtime ?? cgroup.map(\.runtime).flatMap { $0 == "unknown" ? nil : $0 } ?? locationRuntime
        let info = ContainerInfo(
            id: id, runtime: runtime,
            podUID: cgroup?.podUID ?? identity.podUID,
            qosClass: cgroup?.qosClass,
            podName: identity.podName, namespace: identity.namespace, containerName: identity.containerName,
            image: identity.image, entrypoint: args.flatMap { $0.isEmpty ? nil : $0 }, bundle: source)
        return OCIMetadata(info: info, kind: identity.kind, sandboxID: identity.sandboxID, statePath: statePath)
    }

    /// True when `name` can be one path component: not empty, not `.`/`..`, no `/` or NUL.
    static func isSafeFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == 0 })
    }
}
