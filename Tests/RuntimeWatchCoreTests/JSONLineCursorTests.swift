// SPDX-License-Identifier: Apache-2.0
// The cursor skips a string's plain bytes eight at a time; the byte that ends the skip (a quote, a
// backslash, a control character) can sit at any offset of a word, after any mix of ASCII and
// multi-byte UTF-8. Each case here is tried at every position from 0 to 24 so every lane of the
// word, and the tail shorter than a word, meets it; the answer must be Foundation's. Integers are
// checked at the edges of their width.

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class JSONLineCursorTests: XCTestCase {
    private var cursor = JSONLineCursor()

    /// What the cursor reads from `line` as a string value, and where it stopped.
    private func cursorString(_ line: [UInt8]) -> (String?, Int) {
        line.withUnsafeBytes { bytes in
            cursor.start(bytes)
            let value = cursor.string()
            return (value, cursor.index)
        }
    }

    private func foundationString(_ line: [UInt8]) -> String? {
        try? JSONDecoder().decode(String.self, from: Data(line))
    }

    func testEveryEndingByteIsFoundAtEveryOffset() {
        let fillers: [[UInt8]] = [Array("a".utf8), Array("é".utf8), Array("雪".utf8), Array("🚀".utf8), [0x7F], [0x21], [0x23], [0x5B, 0x5D]]
        for filler in fillers {
            for length in 0...24 {
                var body: [UInt8] = []
                while body.count < length { body += filler }
                let prefix = [0x22] + body
                // A plain string, then text after it the cursor must not enter.
                let plain = prefix + [0x22] + Array(#","x":"zzzzzzzzzzzzzzzz""#.utf8)
                let (value, end) = cursorString(plain)
                XCTAssertEqual(value, String(decoding: body, as: UTF8.self), "filler \(filler) length \(length)")
                XCTAssertEqual(end, prefix.count + 1, "stopped past the closing quote, filler \(filler) length \(length)")
                // An escape where the skip stops: decoded, and the string goes on after it.
                let escaped = prefix + Array(#"\"\\\n\u00e9 tail" "#.utf8)
                XCTAssertEqual(cursorString(escaped).0, foundationString(Array(escaped.dropLast())), "escape, filler \(filler) length \(length)")
                XCTAssertEqual(cursorString(escaped).0, String(decoding: body, as: UTF8.self) + "\"\\\né tail")
                // A raw control character (a tab, a NUL, 0x1F) is refused wherever it falls.
                for control: UInt8 in [0x09, 0x00, 0x1F] {
                    let bad = prefix + [control] + Array("more text after it\"".utf8)
                    XCTAssertNil(cursorString(bad).0, "control 0x\(String(control, radix: 16)), filler \(filler) length \(length)")
                    XCTAssertNil(foundationString(bad))
                }
                // No closing quote: refused, whatever the length.
                XCTAssertNil(cursorString(prefix).0, "unterminated, filler \(filler) length \(length)")
            }
        }
    }

    func testAnObjectKeyEndsAtItsQuoteAtEveryOffset() {
        for length in 0...24 {
            let name = String(repeating: "k", count: length)
            let line = Array("{\"\(name)\":1,\"second\":2}".utf8)
            line.withUnsafeBytes { bytes in
                cursor.start(bytes)
                XCTAssertTrue(cursor.consume(0x7B))
                let key = cursor.key()
                XCTAssertEqual(key.map { String(decoding: $0, as: UTF8.self) }, name, "key of \(length) bytes")
                XCTAssertEqual(cursor.index, length + 4, "past the key's quote and colon")
            }
            let escapedKey = Array("{\"\(name)\\u0041\":1}".utf8)
            escapedKey.withUnsafeBytes { bytes in
                cursor.start(bytes)
                XCTAssertTrue(cursor.consume(0x7B))
                XCTAssertNil(cursor.key(), "an escaped key goes to the fallback decoder")
            }
        }
    }

    /// Integers at the edges of their width (64 and 32 bits, twenty digits) are read exactly or
    /// refused, never wrapped.
    func testIntegersAtTheEdgesOfTheirWidth() {
        func read<T: FixedWidthInteger>(_ text: String, as: T.Type) -> T? {
            let bytes = Array((text + ",").utf8)
            return bytes.withUnsafeBytes { raw in
                cursor.start(raw)
                return cursor.integer(T.self)
            }
        }
        XCTAssertEqual(read("9999999999999999999", as: UInt64.self), 9_999_999_999_999_999_999)
        XCTAssertEqual(read("18446744073709551615", as: UInt64.self), .max)
        XCTAssertNil(read("18446744073709551616", as: UInt64.self), "2^64 does not fit")
        XCTAssertNil(read("99999999999999999999", as: UInt64.self), "twenty nines do not fit")
        XCTAssertNil(read("184467440737095516150", as: UInt64.self), "twenty-one digits")
        XCTAssertEqual(read("1764000000123456789", as: UInt64.self), 1_764_000_000_123_456_789, "a timestamp")
        XCTAssertEqual(read("9223372036854775807", as: Int64.self), .max)
        XCTAssertNil(read("9223372036854775808", as: Int64.self))
        XCTAssertEqual(read("-9223372036854775808", as: Int64.self), .min)
        XCTAssertNil(read("-9223372036854775809", as: Int64.self))
        XCTAssertEqual(read("2147483647", as: Int32.self), .max)
        XCTAssertNil(read("2147483648", as: Int32.self))
        XCTAssertNil(read("4294967296", as: UInt32.self))
        XCTAssertNil(read("0123", as: UInt64.self), "a leading zero")
        XCTAssertEqual(read("0", as: UInt64.self), 0)
        XCTAssertNil(read("-1", as: UInt64.self))
        XCTAssertNil(read("12.5", as: UInt64.self), "a fraction goes to the fallback decoder")
    }
}
