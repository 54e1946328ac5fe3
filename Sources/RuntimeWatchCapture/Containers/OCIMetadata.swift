// SPDX-License-Identifier: Apache-2.0
// The result of reading one container's OCI runtime state: the Core `ContainerInfo` that capture puts
// into a `container` event, plus the CRI facts that have no place in it yet.

import RuntimeWatchCore

public struct OCIMetadata: Sendable, Hashable {
    /// Identity merged from the cgroup path and the annotations; `bundle` is the file the
    /// annotations came from (config.json, or state.json when the bundle was gone).
    public var info: ContainerInfo
    /// Sandbox (pause) container or workload container, when a CRI runtime said.
    public var kind: OCIContainerKind
    /// The id of the pod sandbox the container belongs to, when a CRI runtime said.
    public var sandboxID: String?
    /// The runtime state file that named the bundle (runc state.json, crun status), if one was used.
    public var statePath: String?

    public init(info: ContainerInfo, kind: OCIContainerKind = .unknown, sandboxID: String? = nil, statePath: String? = nil) {
        self.info = info; self.kind = kind; self.sandboxID = sandboxID; self.statePath = statePath
    }
}
