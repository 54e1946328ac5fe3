// SPDX-License-Identifier: Apache-2.0
// Where container runtimes keep OCI bundles and runtime state on a node, and how each place is laid
// out. Kept as data so a DaemonSet (host /run mounted elsewhere) or a test (a fake host in a temp
// dir) can point the reader at other places without code changes.

/// One directory a runtime keeps per-container state in.
public struct OCIStateRoot: Sendable, Hashable {
    public enum Layout: Sendable, Hashable {
        /// `<path>/<namespace>/<id>/config.json`: containerd shim task directories (the bundle itself).
        case namespacedBundles
        /// `<path>/overlay-containers/<id>/userdata/config.json`: containers/storage (CRI-O, Podman).
        case containersStorage
        /// `<path>/<id>/state.json` (runc) or `<path>/<id>/status` (crun), naming the bundle.
        case runtimeState
        /// `<path>/<namespace>/<id>/state.json`: runc roots that containerd and dockerd split by namespace.
        case namespacedRuntimeState
    }

    /// Absolute host path. One component may be `*`, matching every entry of its parent directory
    /// (`/run/user/*/runc` for rootless runtimes).
    public var path: String
    public var layout: Layout
    /// The runtime that writes here ("containerd", "cri-o", "runc", "docker", …), used only when neither
    /// the cgroup path nor the annotations name one.
    public var runtime: String

    public init(path: String, layout: Layout, runtime: String) {
        self.path = path; self.layout = layout; self.runtime = runtime
    }
}

/// The ordered list of places searched for a container's OCI state. Earlier roots win: bundle
/// directories first (they hold config.json directly), then runtime state files that point to a bundle.
public struct OCIRuntimeRoots: Sendable, Hashable {
    public var roots: [OCIStateRoot]

    public init(_ roots: [OCIStateRoot]) { self.roots = roots }

    /// The default locations of containerd (and k3s), CRI-O/Podman, runc, crun and dockerd's runc.
    public static let standard = OCIRuntimeRoots([
        OCIStateRoot(path: "/run/containerd/io.containerd.runtime.v2.task", layout: .namespacedBundles, runtime: "containerd"),
        OCIStateRoot(path: "/run/k3s/containerd/io.containerd.runtime.v2.task", layout: .namespacedBundles, runtime: "containerd"),
        OCIStateRoot(path: "/run/containerd/io.containerd.runtime.v1.linux", layout: .namespacedBundles, runtime: "containerd"),
        OCIStateRoot(path: "/run/containers/storage", layout: .containersStorage, runtime: "cri-o"),
        OCIStateRoot(path: "/var/lib/containers/storage", layout: .containersStorage, runtime: "cri-o"),
        OCIStateRoot(path: "/run/runc", layout: .runtimeState, runtime: "runc"),
        OCIStateRoot(path: "/run/crun", layout: .runtimeState, runtime: "runc"),
        OCIStateRoot(path: "/run/docker/runtime-runc", layout: .namespacedRuntimeState, runtime: "docker"),
        OCIStateRoot(path: "/run/containerd/runc", layout: .namespacedRuntimeState, runtime: "containerd"),
        OCIStateRoot(path: "/run/user/*/runc", layout: .runtimeState, runtime: "runc"),
        OCIStateRoot(path: "/run/user/*/crun", layout: .runtimeState, runtime: "runc"),
    ])
}
