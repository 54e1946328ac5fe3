// SPDX-License-Identifier: Apache-2.0
// Who did something and to what, in the terms a profile speaks: the subject (namespace, pod,
// container, image, executable, or "a host process") and the target (a path or a destination).

/// The process an allowlist entry is matched against.
public struct ProfileSubject: Sendable, Hashable {
    public var namespace: String?
    public var podName: String?
    public var containerName: String?
    /// Image reference as the runtime recorded it (`repo/name:tag` or `…@sha256:…`).
    public var image: String?
    /// Executable path (`/proc/<pid>/exe`), never the process name.
    public var executable: String?
    /// True for a process known to run outside any container.
    public var isHost: Bool

    public init(namespace: String? = nil, podName: String? = nil, containerName: String? = nil,
                image: String? = nil, executable: String? = nil, isHost: Bool = false) {
        self.namespace = namespace; self.podName = podName; self.containerName = containerName
        self.image = image; self.executable = executable; self.isHost = isHost
    }

    /// The subject for `pid` as the state knows it. A process the state does not know is neither a
    /// host process nor in a known container: every scope key fails on it, so only unscoped entries
    /// can match it.
    public init(state: SystemState, pid: ProcessID) {
        guard let record = state.process(pid) else { self.init(); return }
        let container = state.container(record.container)
        self.init(namespace: container?.namespace, podName: container?.podName,
                  containerName: container?.containerName, image: container?.image,
                  executable: record.info.exe, isHost: record.container == nil)
    }
}

/// What the subject acted on.
public enum ProfileTarget: Sendable, Hashable {
    /// No target (the rule is about the process itself).
    case none
    /// A file path, as the process saw it.
    case path(String)
    /// A network peer: numeric address text (IPv4 or IPv6) and port.
    case destination(address: String, port: UInt16)
}
