// SPDX-License-Identifier: Apache-2.0
// Reuses one String for a value the trace repeats. Most strings in a trace repeat: executables,
// cgroup paths, argv elements, token paths, container ids. A String longer than 15 UTF-8 bytes is
// a heap allocation; handing out the String decoded the last time these bytes were seen costs a
// retain instead, and skips the UTF-8 check too (the bytes are the ones already checked).
// Shorter strings are stored inside the String value itself, so they are never cached.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded, direct-mapped cache from UTF-8 bytes to a String with exactly those bytes.
///
/// Each byte sequence has one slot (chosen by its hash); a new value evicts whatever held the slot,
/// so memory is bounded by `slotCount` strings of at most `maxBytes` bytes, whatever the input.
/// A hit is confirmed by comparing bytes, so a hash collision only costs a miss, never a wrong string.
struct TraceStringCache {
    /// Strings up to this many UTF-8 bytes live inside the String value (no allocation to save).
    static let inlineBytes = 15
    /// Longer strings are not cached (rare in traces, and they would make the bound large).
    let maxBytes: Int

    private struct Entry {
        var hash: UInt64
        var string: String
    }

    private var slots: [Entry?]
    private let mask: Int
    /// Lookups answered from the cache and lookups that made a new String (cacheable sizes only).
    private(set) var hits = 0
    private(set) var misses = 0

    /// - Parameters:
    ///   - slotCount: rounded up to a power of two.
    ///   - maxBytes: longest string kept.
    init(slotCount: Int = 4096, maxBytes: Int = 256) {
        var n = 1
        while n < slotCount { n <<= 1 }
        slots = Array(repeating: nil, count: n)
        mask = n - 1
        self.maxBytes = maxBytes
    }

    /// Strings currently held.
    var count: Int { slots.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// The String with exactly `bytes`; `make` builds it (checking the bytes, nil if they are not a
    /// valid string) when the cache does not hold it. - Returns: nil when `make` does.
    @inline(__always)
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>, make: (UnsafeBufferPointer<UInt8>) -> String?) -> String? {
        guard bytes.count > Self.inlineBytes, bytes.count <= maxBytes else { return make(bytes) }
        let hash = Self.hash(bytes)
        let slot = Int(truncatingIfNeeded: hash) & mask
        if let entry = slots[slot], entry.hash == hash, Self.same(entry.string, bytes) {
            hits += 1
            return entry.string
        }
        guard let made = make(bytes) else { return nil }
        misses += 1
        slots[slot] = Entry(hash: hash, string: made)
        return made
    }

    private static func same(_ string: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        string.utf8.withContiguousStorageIfAvailable {
            $0.count == bytes.count && memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0
        } ?? false
    }

    /// A fast hash of at least 8 bytes, 8 at a time (the last word may overlap the one before).
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let raw = UnsafeRawPointer(bytes.baseAddress!)
        let n = bytes.count
        var h = UInt64(truncatingIfNeeded: n) &* 0x9E37_79B9_7F4A_7C15
        var i = 0
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        if i < n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) &* 0x94D0_49BB_1331_11EB
        }
        return h ^ (h >> 29)
    }
}
