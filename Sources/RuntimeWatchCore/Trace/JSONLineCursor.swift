// SPDX-License-Identifier: Apache-2.0
// Byte-level reading of the JSON a trace line holds, for the fast decoder. It accepts only the
// plain shapes our writer produces (integers without fraction or exponent, strings, booleans,
// null, objects, arrays) and answers nil for anything else, so the caller can hand the line to
// the Codable decoder, which is the reference and gives the detailed error. It never guesses.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A position in one line's bytes. Every read returns nil on anything it does not accept; after a
/// nil the cursor's position is unspecified and the line must go to the fallback decoder.
///
/// One cursor is meant to read every line of a trace (`start(_:)` per line): its buffers and its
/// string cache are kept across lines, which is what makes a typical line cost no allocation
/// beyond the values it returns.
struct JSONLineCursor {
    private var base: UnsafePointer<UInt8>
    private var count: Int
    private(set) var index = 0
    /// Reused for strings with escapes, so they cost no extra allocation after the first.
    private var scratch: [UInt8] = []
    /// Strings seen on earlier lines, handed out again instead of allocated again.
    private(set) var strings: TraceStringCache
    /// Elements of the array being read; the result is an exactly sized copy (one allocation,
    /// where appending to a new array grows it two or three times).
    private var stringElements: [String] = []

    /// A cursor with no line yet (`start(_:)` gives it one).
    init(strings: TraceStringCache = TraceStringCache()) {
        base = JSONLineCursor.emptyBase
        count = 0
        self.strings = strings
    }

    /// Reads `bytes` from their start; they must stay valid until the next `start`.
    mutating func start(_ bytes: UnsafeRawBufferPointer) {
        // An empty buffer may have no base address; point at a static byte instead (count is 0).
        base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? JSONLineCursor.emptyBase
        count = bytes.count
        index = 0
    }

    nonisolated(unsafe) private static let emptyBase: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    var atEnd: Bool { index >= count }

    @inline(__always)
    mutating func skipSpace() {
        while index < count {
            let b = base[index]
            guard b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D else { return }
            index += 1
        }
    }

    /// Consumes `byte` after optional space. - Returns: whether it was there.
    @inline(__always)
    mutating func consume(_ byte: UInt8) -> Bool {
        skipSpace()
        guard index < count, base[index] == byte else { return false }
        index += 1
        return true
    }

    /// The next non-space byte, not consumed; nil at the end.
    @inline(__always)
    mutating func peek() -> UInt8? {
        skipSpace()
        return index < count ? base[index] : nil
    }

    /// Consumes `null` if it is next. - Returns: whether it was.
    mutating func consumeNull() -> Bool {
        skipSpace()
        guard count - index >= 4, base[index] == 0x6E, base[index + 1] == 0x75, base[index + 2] == 0x6C,
              base[index + 3] == 0x6C else { return false }
        index += 4
        return true
    }

    /// An object key without escapes, and the colon after it.
    /// - Returns: the key's bytes (valid while the line is), or nil for an escaped or malformed key.
    mutating func key() -> UnsafeRawBufferPointer? {
        guard consume(0x22), let key = rawStringBody(), consume(0x3A) else { return nil }
        return key
    }

    /// The bytes of a string without escapes, after its opening quote (consumed by the caller),
    /// up to and past the closing quote. - Returns: nil for an escaped or unterminated string.
    mutating func rawStringBody() -> UnsafeRawBufferPointer? {
        let start = index
        skipPlainStringBytes()
        while index < count {
            let b = base[index]
            if b == 0x22 {
                let body = UnsafeRawBufferPointer(start: base + start, count: index - start)
                index += 1
                return body
            }
            if b == 0x5C || b < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// Moves past the bytes of a string that need no look (not a quote, a backslash or a control
    /// character), eight at a time: the byte loops after it then stop at once. Strings are most of
    /// a trace line's bytes, and one byte per turn was their decoder's largest cost (BENCHMARKS
    /// section 25). In each mask (a byte equal to `"`, to `\`, below 0x20) a borrow can flag a
    /// byte only above a true match, so the lowest flag of all three is exact.
    @inline(__always)
    private mutating func skipPlainStringBytes() {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while index + 8 <= count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let flags = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (word &- ones &* 0x20) & ~word) & highs
            if flags != 0 {
                index += flags.trailingZeroBitCount >> 3
                return
            }
            index += 8
        }
    }

    /// A string value. Escapes are decoded; the result must be valid UTF-8 (else nil).
    mutating func string() -> String? {
        guard consume(0x22) else { return nil }
        let start = index
        skipPlainStringBytes()
        while index < count {
            let b = base[index]
            if b == 0x22 {
                let bytes = UnsafeBufferPointer(start: base + start, count: index - start)
                index += 1
                return strings.string(bytes, make: Self.validString)
            }
            if b == 0x5C { return escapedString(from: start) }
            if b < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// The slow half of `string()`: copies the plain prefix, then decodes escapes as it goes.
    private mutating func escapedString(from start: Int) -> String? {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: base + start, count: index - start))
        while index < count {
            let b = base[index]
            switch b {
            case 0x22:
                index += 1
                let decoded = scratch
                return decoded.withUnsafeBufferPointer { strings.string($0, make: Self.validString) }
            case 0x5C:
                guard index + 1 < count else { return nil }
                let e = base[index + 1]
                index += 2
                switch e {
                case 0x22, 0x5C, 0x2F: scratch.append(e)
                case 0x62: scratch.append(0x08)
                case 0x66: scratch.append(0x0C)
                case 0x6E: scratch.append(0x0A)
                case 0x72: scratch.append(0x0D)
                case 0x74: scratch.append(0x09)
                case 0x75:
                    guard let unit = hex4() else { return nil }
                    var scalarValue = UInt32(unit)
                    if (0xD800...0xDBFF).contains(unit) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard count - index >= 6, base[index] == 0x5C, base[index + 1] == 0x75 else { return nil }
                        index += 2
                        guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                        scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        return nil
                    }
                    guard let scalar = Unicode.Scalar(scalarValue) else { return nil }
                    scratch.append(contentsOf: UTF8.encode(scalar)!)
                default:
                    return nil
                }
            default:
                if b < 0x20 { return nil }
                scratch.append(b)
                index += 1
            }
        }
        return nil
    }

    /// The string of `bytes` if they are well-formed UTF-8, else nil. (`String(validating:)` is
    /// generic and showed up in profiles as metadata lookups; this is the same check, specialised.)
    private static func validString(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var i = 0
        let n = bytes.count
        while i < n {
            let lead = bytes[i]
            if lead < 0x80 {
                i += 1
                continue
            }
            let length: Int, minimum: UInt32
            switch lead {
            case 0xC2...0xDF: (length, minimum) = (2, 0x80)
            case 0xE0...0xEF: (length, minimum) = (3, 0x800)
            case 0xF0...0xF4: (length, minimum) = (4, 0x10000)
            default: return nil
            }
            guard i + length <= n else { return nil }
            var scalar = UInt32(lead) & (0xFF >> (length + 1))
            for k in 1..<length {
                let b = bytes[i + k]
                guard b & 0xC0 == 0x80 else { return nil }
                scalar = scalar << 6 | UInt32(b & 0x3F)
            }
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return nil }
            i += length
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func hex4() -> UInt16? {
        guard count - index >= 4 else { return nil }
        var value: UInt16 = 0
        for k in 0..<4 {
            let c = base[index + k]
            let digit: UInt8
            switch c {
            case 0x30...0x39: digit = c - 0x30
            case 0x61...0x66: digit = c - 0x61 + 10
            case 0x41...0x46: digit = c - 0x41 + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
        }
        index += 4
        return value
    }

    /// An integer written as plain JSON digits (optional minus, no leading zeros, no fraction or
    /// exponent) that fits `T`. - Returns: nil for anything else, including `-0`.
    mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) -> T? {
        skipSpace()
        var negative = false
        if index < count, base[index] == 0x2D {
            guard T.isSigned else { return nil }
            negative = true
            index += 1
        }
        let start = index
        var magnitude: UInt64 = 0
        while index < count {
            let d = base[index] &- 0x30
            guard d < 10 else { break }
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (m2, o2) = m1.addingReportingOverflow(UInt64(d))
            guard !o1, !o2 else { return nil }
            magnitude = m2
            index += 1
        }
        let digits = index - start
        guard digits > 0, !(digits > 1 && base[start] == 0x30) else { return nil }
        if index < count {
            let b = base[index]
            guard b != 0x2E, b != 0x65, b != 0x45 else { return nil }
        }
        if negative {
            guard magnitude != 0, magnitude <= UInt64(T.max) + 1 else { return nil }
            return T(truncatingIfNeeded: 0 &- magnitude)
        }
        guard magnitude <= UInt64(T.max) else { return nil }
        return T(magnitude)
    }

    mutating func bool() -> Bool? {
        skipSpace()
        if count - index >= 4, base[index] == 0x74, base[index + 1] == 0x72, base[index + 2] == 0x75, base[index + 3] == 0x65 {
            index += 4
            return true
        }
        if count - index >= 5, base[index] == 0x66, base[index + 1] == 0x61, base[index + 2] == 0x6C,
           base[index + 3] == 0x73, base[index + 4] == 0x65 {
            index += 5
            return false
        }
        return nil
    }

    /// An array of strings. - Returns: nil if any element is not a string.
    mutating func stringArray() -> [String]? {
        guard consume(0x5B) else { return nil }
        if consume(0x5D) { return [] }
        stringElements.removeAll(keepingCapacity: true)
        repeat {
            guard let s = string() else { return nil }
            stringElements.append(s)
        } while consume(0x2C)
        guard consume(0x5D) else { return nil }
        return Self.exactCopy(of: &stringElements)
    }

    /// The elements of `scratch` in a new array of exactly their count; `scratch` is emptied, its
    /// capacity kept for the next array.
    static func exactCopy<T>(of scratch: inout [T]) -> [T] {
        // Array(scratch) would share scratch's buffer, and the next append would copy it.
        let copy = scratch.withUnsafeBufferPointer { Array($0) }
        scratch.removeAll(keepingCapacity: true)
        return copy
    }

    /// Walks the members of an object: calls `member` with each key, which must read the value
    /// and return true, or return false to give up.
    /// - Returns: false if the object is malformed or `member` gave up.
    @inline(__always)
    mutating func members(_ member: (inout JSONLineCursor, UnsafeRawBufferPointer) -> Bool) -> Bool {
        guard consume(0x7B) else { return false }
        if consume(0x7D) { return true }
        repeat {
            guard let k = key(), member(&self, k) else { return false }
        } while consume(0x2C)
        return consume(0x7D)
    }
}

extension UnsafeRawBufferPointer {
    /// Byte equality with an ASCII literal (keys are compared this way, without making Strings).
    @inline(__always)
    func equals(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        return memcmp(baseAddress!, literal.utf8Start, count) == 0
    }
}
