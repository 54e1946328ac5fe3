// SPDX-License-Identifier: Apache-2.0
// Why reading a container's OCI runtime state failed, naming the file and the reason, so capture can
// log and count it while the container is still reported with what its cgroup path told.

import RuntimeWatchCore

/// A failure to read one container's OCI metadata. Never fatal: the caller logs it, counts it
/// (`kind` is a stable metrics dimension) and keeps the cgroup-derived `ContainerInfo`.
public struct OCIMetadataError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// No runtime state for the id under any configured root; `searched` counts the paths tried.
        case notFound(searched: Int)
        /// The container id cannot name a file safely (empty, `.`/`..`, contains `/` or NUL).
        case invalidContainerID
        /// `open`/`read` failed with this errno (other than ENOENT, which means "look elsewhere").
        case unreadable(errno: Int32)
        /// The file is larger than the configured cap; it was not parsed.
        case tooLarge(bytes: Int, limit: Int)
        /// Not a regular file (a FIFO or device would block or lie).
        case notRegularFile
        /// The bytes are not the JSON shape expected; `detail` says where.
        case malformed(detail: String)
        /// A runtime state file names no bundle and carries no annotations.
        case noBundle
    }

    public var containerID: ContainerID
    /// The file the reason applies to; nil for `notFound` and `invalidContainerID`.
    public var path: String?
    public var reason: Reason

    public init(containerID: ContainerID, path: String?, reason: Reason) {
        self.containerID = containerID; self.path = path; self.reason = reason
    }

    /// Stable, low-cardinality name of the reason for a metrics dimension.
    public var kind: String {
        switch reason {
        case .notFound: "not_found"
        case .invalidContainerID: "invalid_id"
        case .unreadable: "unreadable"
        case .tooLarge: "too_large"
        case .notRegularFile: "not_regular_file"
        case .malformed: "malformed"
        case .noBundle: "no_bundle"
        }
    }

    public var description: String {
        let subject = "OCI metadata for container \(containerID.short)"
        let place = path.map { ": \($0)" } ?? ""
        switch reason {
        case .notFound(let searched): return "\(subject): no runtime state found (\(searched) paths searched)"
        case .invalidContainerID: return "\(subject): container id is not a safe file name"
        case .unreadable(let errno): return "\(subject)\(place): unreadable (errno \(errno))"
        case .tooLarge(let bytes, let limit): return "\(subject)\(place): \(bytes) bytes exceeds the \(limit)-byte limit"
        case .notRegularFile: return "\(subject)\(place): not a regular file"
        case .malformed(let detail): return "\(subject)\(place): malformed: \(detail)"
        case .noBundle: return "\(subject)\(place): state names no bundle and carries no annotations"
        }
    }
}
