// SPDX-License-Identifier: Apache-2.0
// A /proc file that did not have the shape the kernel documents: which file, and why. Parsers
// throw it; the reader turns it into an issue and keeps every other field it read.

/// A procfs file could not be parsed.
public struct ProcParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file relative to /proc/<pid>, e.g. `"stat"`, `"net/tcp"`.
    public var file: String
    /// What was wrong, in words.
    public var reason: String
    public init(file: String, reason: String) { self.file = file; self.reason = reason }
    public var description: String { "\(file): \(reason)" }
}
