// SPDX-License-Identifier: Apache-2.0
// Audit's hex encoding of a value: what the kernel logs for an execve argument with spaces, quotes
// or non-ASCII bytes, and for a connect's sockaddr. Two hex digits per byte, either case. Decoded
// from the UTF-8 bytes, so a hostile value with multi-byte characters is refused, never split.

enum AuditHex {
    enum Failure: Error {
        case oddLength(Int)
        /// Byte offset of the first pair that is not two hex digits.
        case notHex(offset: Int)
    }

    static func decode(_ hex: Substring.UTF8View) throws(Failure) -> [UInt8] {
        let utf8 = Array(hex)
        guard utf8.count % 2 == 0 else { throw .oddLength(utf8.count) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = nibble(utf8[i]), let low = nibble(utf8[i + 1]) else { throw .notHex(offset: i) }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}
