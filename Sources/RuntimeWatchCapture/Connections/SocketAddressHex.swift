// SPDX-License-Identifier: Apache-2.0
// Pure decoding of the `saddr=` hex of an audit SOCKADDR record: the raw sockaddr bytes the process
// passed to connect(2), family in host byte order (little-endian on x86-64 and aarch64), port and
// address in network order.

/// A decoded connect() destination.
public enum SocketAddress: Sendable, Hashable {
    /// AF_INET or AF_INET6; `address` is textual (`127.0.0.1`, `::1`, `::ffff:10.0.0.1` kept as written).
    case inet(family: Int, address: String, port: UInt16)
    /// AF_UNSPEC: a datagram socket dissolving its association (not a connection).
    case unspecified
    /// AF_UNIX, AF_NETLINK or any other family: not network egress.
    case other(family: Int)
}

public enum SocketAddressHex {
    public static let familyUnspecified = 0, familyUnix = 1, familyInet = 2, familyInet6 = 10, familyNetlink = 16

    /// Decodes the hex string of a SOCKADDR record.
    /// - Throws: `AuditRecordError` for odd length, non-hex characters or a truncated inet address.
    public static func decode(_ hex: String) throws(AuditRecordError) -> SocketAddress {
        let bytes = try bytes(hex)
        guard bytes.count >= 2 else { throw AuditRecordError(reason: "saddr shorter than a family (\(bytes.count) bytes)", text: hex) }
        let family = Int(bytes[0]) | Int(bytes[1]) << 8
        switch family {
        case familyUnspecified:
            return .unspecified
        case familyInet:
            guard bytes.count >= 8 else { throw AuditRecordError(reason: "AF_INET saddr of \(bytes.count) bytes, need 8", text: hex) }
            return .inet(family: family, address: "\(bytes[4]).\(bytes[5]).\(bytes[6]).\(bytes[7])", port: port(bytes))
        case familyInet6:
            guard bytes.count >= 24 else { throw AuditRecordError(reason: "AF_INET6 saddr of \(bytes.count) bytes, need 24", text: hex) }
            return .inet(family: family, address: ipv6Text(Array(bytes[8..<24])), port: port(bytes))
        default:
            return .other(family: family)
        }
    }

    private static func port(_ b: [UInt8]) -> UInt16 { UInt16(b[2]) << 8 | UInt16(b[3]) }

    private static func bytes(_ hex: String) throws(AuditRecordError) -> [UInt8] {
        do throws(AuditHex.Failure) {
            return try AuditHex.decode(hex[...].utf8)
        } catch {
            switch error {
            case .oddLength(let count): throw AuditRecordError(reason: "saddr hex has odd length \(count)", text: hex)
            case .notHex(let offset): throw AuditRecordError(reason: "saddr has a non-hex character at offset \(offset)", text: hex)
            }
        }
    }

    /// RFC 5952 text: lowercase, leading zeros dropped, the longest run (>= 2) of zero groups as
    /// `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d`.
    static func ipv6Text(_ b: [UInt8]) -> String {
        let groups = (0..<8).map { UInt16(b[2 * $0]) << 8 | UInt16(b[2 * $0 + 1]) }
        if groups[0..<5].allSatisfy({ $0 == 0 }), groups[5] == 0xffff {
            return "::ffff:\(b[12]).\(b[13]).\(b[14]).\(b[15])"
        }
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8, groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var parts: [String] = []
        var i = 0
        var text = ""
        while i < 8 {
            if i == bestStart {
                text += (parts.isEmpty ? "" : parts.joined(separator: ":")) + "::"
                parts = []
                i += bestLength
                continue
            }
            parts.append(String(groups[i], radix: 16))
            i += 1
        }
        return text + parts.joined(separator: ":")
    }
}
