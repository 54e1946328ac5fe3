// SPDX-License-Identifier: Apache-2.0
// Where service-account tokens live on a node, as a list of files to mark: the kubelet's host-side
// pod volumes, the host's own secrets directory, and the in-container paths of the container init
// processes the caller told us about (resolved inside each container's root).

import Glibc
import RuntimeWatchCore

/// A token file the monitor watches, as events report it.
public struct WatchedToken: Sendable, Hashable {
    /// The path the monitor watches: the kubelet volume path on the host
    /// (`<kubeletRoot>/pods/<uid>/volumes/kubernetes.io~projected/<volume>/token`), the host's
    /// own secrets path, or `/proc/<pid>/root/<in-container path>` for container-only files.
    public var path: String
    /// The in-container path when the file was found through a container root.
    public var containerPath: String?
    /// The pod UID of a kubelet volume.
    public var podUID: String?
    /// The volume name of a kubelet volume.
    public var volume: String?

    public init(path: String, containerPath: String? = nil, podUID: String? = nil, volume: String? = nil) {
        self.path = path
        self.containerPath = containerPath
        self.podUID = podUID
        self.volume = volume
    }

    /// True for kubelet volume files, which name the file on the host.
    var isKubeletVolume: Bool { podUID != nil }
}

/// One file to resolve and mark.
struct TokenCandidate: Sendable, Hashable {
    /// Path to resolve: absolute on the host, or absolute inside `root`.
    var path: String
    /// Directory to resolve `path` in (`/proc/<pid>/root`), nil for host paths.
    var root: String?
    var watched: WatchedToken
}

struct TokenLocations: Sendable {
    /// Volume plugins whose volumes hold service-account tokens.
    static let volumePlugins = ["kubernetes.io~projected", "kubernetes.io~secret"]

    var kubeletRoot: String
    var tokenFileNames: [String]
    var hostTokenPaths: [String]
    var containerTokenPaths: [String]
    /// Caps that keep one scan bounded however large the kubelet tree is.
    var maxPods: Int
    var maxVolumesPerPod: Int

    /// Every candidate for this scan. Pods and containers that vanish between listing and marking
    /// are simply missing from the next scan.
    func candidates(containerRoots: [ProcessID]) -> (candidates: [TokenCandidate], truncated: Bool) {
        var result: [TokenCandidate] = []
        var truncated = false
        let podsDir = kubeletRoot + "/pods"
        let pods = Self.listDirectory(podsDir, limit: maxPods)
        truncated = truncated || pods.truncated
        for pod in pods.names {
            for plugin in Self.volumePlugins {
                let pluginDir = "\(podsDir)/\(pod)/volumes/\(plugin)"
                let volumes = Self.listDirectory(pluginDir, limit: maxVolumesPerPod)
                truncated = truncated || volumes.truncated
                for volume in volumes.names {
                    for file in tokenFileNames {
                        let path = "\(pluginDir)/\(volume)/\(file)"
                        result.append(TokenCandidate(path: path, root: nil, watched: WatchedToken(path: path, podUID: pod, volume: volume)))
                    }
                }
            }
        }
        for path in hostTokenPaths {
            result.append(TokenCandidate(path: path, root: nil, watched: WatchedToken(path: path)))
        }
        for pid in containerRoots {
            let root = "/proc/\(pid.rawValue)/root"
            for path in containerTokenPaths {
                result.append(TokenCandidate(path: path, root: root, watched: WatchedToken(path: root + path, containerPath: path)))
            }
        }
        return (result, truncated)
    }

    /// Names in `path` (not "." or ".."), at most `limit` of them; empty when it does not exist.
    static func listDirectory(_ path: String, limit: Int) -> (names: [String], truncated: Bool) {
        guard let dir = opendir(path) else { return ([], false) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            if names.count == limit { return (names, true) }
            names.append(name)
        }
        return (names, false)
    }
}
