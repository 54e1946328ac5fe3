// SPDX-License-Identifier: Apache-2.0
// IPv4/IPv6 addresses and CIDR blocks for profile destinations. Written here (not Foundation or
// inet_pton) so Core stays pure and the parser's edge cases are ours to test.

/// An IPv4 or IPv6 address as a 128-bit value. IPv4 lives in the low 32 bits of `low`.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable, Hashable { case v4, v6 }
    public let family: Family
    /// Upper 64 bits (IPv6 only; 0 for IPv4).
    public let high: UInt64
    /// Lower 64 bits; for IPv4 the address in the low 32 bits.
    public let low: UInt64

    public init(v4 value: UInt32) { family = .v4; high = 0; low = UInt64(value) }
    public init(v6High high: UInt64, low: UInt64) { family = .v6; self.high = high; self.low = low }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (`::`, embedded IPv4 tail, `%zone` ignored).
    /// Returns nil for anything else (host names, out-of-range octets, a second `::`).
    public init?(_ text: String) {
        var s = Substring(text)
        if s.hasPrefix("["), s.hasSuffix("]") { s = s.dropFirst().dropLast() }
        if let zone = s.firstIndex(of: "%") { s = s[..<zone] }
        if s.utf8.contains(UInt8(ascii: ":")) {  // (a String argument would go through Foundation)
            guard let (h, l) = Self.parseV6(s) else { return nil }
            self.init(v6High: h, low: l)
        } else {
            guard let v = Self.parseV4(s) else { return nil }
            self.init(v4: v)
        }
    }

    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as plain IPv4, so a v6 socket connecting to a v4
    /// peer matches v4 CIDRs; every other address unchanged.
    public var unmapped: IPAddress {
        if family == .v6, high == 0, low >> 32 == 0xffff { return IPAddress(v4: UInt32(truncatingIfNeeded: low)) }
        return self
    }

    public var description: String {
        switch family {
        case .v4:
            let v = UInt32(truncatingIfNeeded: low)
            return "\(v >> 24).\((v >> 16) & 0xff).\((v >> 8) & 0xff).\(v & 0xff)"
        case .v6:
            var groups: [UInt16] = []
            for i in 0..<4 { groups.append(UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64(i)))) }
            for i in 0..<4 { groups.append(UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64(i)))) }
            // Compress the longest run (>= 2) of zero groups, as RFC 5952 recommends.
            var bestStart = -1, bestLength = 0, runStart = -1
            for i in 0...8 {
                if i < 8 && groups[i] == 0 {
                    if runStart < 0 { runStart = i }
                } else if runStart >= 0 {
                    if i - runStart > bestLength && i - runStart >= 2 { bestStart = runStart; bestLength = i - runStart }
                    runStart = -1
                }
            }
            func hex(_ g: ArraySlice<UInt16>) -> String { g.map { String($0, radix: 16) }.joined(separator: ":") }
            if bestStart < 0 { return hex(groups[...]) }
            return hex(groups[..<bestStart]) + "::" + hex(groups[(bestStart + bestLength)...])
        }
    }

    /// Four decimal octets of one to three digits each, at most 255. Byte by byte: every connect
    /// event's remote address comes through here, and splitting it cost an array per event.
    static func parseV4(_ s: Substring) -> UInt32? {
        var value: UInt32 = 0, octet: UInt32 = 0, digits = 0, dots = 0
        for byte in s.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | octet
                octet = 0; digits = 0; dots += 1
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                guard digits < 3 else { return nil }
                octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard octet <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return value << 8 | octet
    }

    static func parseV6(_ s: Substring) -> (UInt64, UInt64)? {
        // Split at "::" (at most one), parse both sides into 16-bit groups, zero-fill between.
        var head = s, tail: Substring = ""
        var compressed = false
        if let r = s.range(of: "::") {
            head = s[..<r.lowerBound]
            tail = s[r.upperBound...]
            compressed = true
            if tail.contains("::") { return nil }
        }
        func groups(_ part: Substring, allowV4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, field) in fields.enumerated() {
                if i == fields.count - 1, allowV4Tail, field.contains(".") {
                    guard let v4 = parseV4(field) else { return nil }
                    out.append(UInt16(v4 >> 16)); out.append(UInt16(v4 & 0xffff))
                    continue
                }
                guard (1...4).contains(field.utf8.count), let g = UInt16(field, radix: 16) else { return nil }
                out.append(g)
            }
            return out
        }
        guard let h = groups(head, allowV4Tail: !compressed), let t = groups(tail, allowV4Tail: true) else { return nil }
        let all: [UInt16]
        if compressed {
            guard h.count + t.count <= 7 else { return nil }
            all = h + Array(repeating: 0, count: 8 - h.count - t.count) + t
        } else {
            guard h.count == 8 else { return nil }
            all = h
        }
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(all[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(all[i]) }
        return (high, low)
    }
}

/// An address block: `10.96.0.0/12`, `fd00::/8`, or a bare address (a /32 or /128).
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// The network address (host bits cleared).
    public let network: IPAddress
    public let prefixLength: Int

    /// Parses `address[/prefix]`; nil if the address does not parse or the prefix is out of range
    /// (0...32 for IPv4, 0...128 for IPv6). Host bits set in the address are cleared.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        let maxLength = address.family == .v4 ? 32 : 128
        var length = maxLength
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), parts[1].utf8.count <= 3,
                  let n = Int(parts[1]), n <= maxLength else { return nil }
            length = n
        }
        self.init(address: address, prefixLength: length)
    }

    /// A block from an address and a prefix length (clamped to the family's width).
    public init(address: IPAddress, prefixLength: Int) {
        let width = address.family == .v4 ? 32 : 128
        let length = max(0, min(prefixLength, width))
        self.prefixLength = length
        let (mh, ml) = Self.mask(family: address.family, length: length)
        network = address.family == .v4
            ? IPAddress(v4: UInt32(truncatingIfNeeded: address.low & ml))
            : IPAddress(v6High: address.high & mh, low: address.low & ml)
    }

    /// True if `address` (after un-mapping v4-mapped v6) is in this block and of the same family.
    public func contains(_ address: IPAddress) -> Bool {
        let a = address.unmapped
        guard a.family == network.family else { return false }
        let (mh, ml) = Self.mask(family: a.family, length: prefixLength)
        return a.high & mh == network.high && a.low & ml == network.low
    }

    public var description: String { "\(network)/\(prefixLength)" }

    private static func mask(family: IPAddress.Family, length: Int) -> (UInt64, UInt64) {
        switch family {
        case .v4:
            return (0, length == 0 ? 0 : UInt64(UInt32.max << UInt32(32 - length)))
        case .v6:
            if length == 0 { return (0, 0) }
            if length <= 64 { return (UInt64.max << UInt64(64 - length), 0) }
            return (UInt64.max, length == 128 ? UInt64.max : UInt64.max << UInt64(128 - length))
        }
    }
}
