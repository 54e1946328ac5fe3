// SPDX-License-Identifier: Apache-2.0
// Identity types. RawRepresentable structs (not aliases) so a pid cannot be passed where a uid is
// expected. They encode as their raw value, which keeps the trace format readable.

/// A kernel thread-group id (what userspace calls a process id).
public struct ProcessID: RawRepresentable, Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ value: Int32) { self.rawValue = value }
    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(Int32.self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
    public static func < (a: ProcessID, b: ProcessID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    // Dictionaries keyed by pid are probed several times per event (the process table and its
    // indexes); the integer's own one-word hash skips building and finalising a `Hasher` each time
    // (5% of replay's samples). Same seeded hash function, so no weaker against collisions.
    public func _rawHashValue(seed: Int) -> Int { rawValue._rawHashValue(seed: seed) }
}

/// A full 64-hex container id as the runtime names it. `short` is the 12-hex form alerts show.
public struct ContainerID: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ value: String) { self.rawValue = value }
    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
    /// The first 12 characters, as Docker, crictl and Falco show ids.
    public var short: String { String(rawValue.prefix(12)) }
    public var description: String { short }
}
