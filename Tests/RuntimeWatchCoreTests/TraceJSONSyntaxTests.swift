// SPDX-License-Identifier: Apache-2.0
// The syntax scanner that gives malformed-line reports a position (Foundation's decoder does not).

import XCTest
@testable import RuntimeWatchCore

final class TraceJSONSyntaxTests: XCTestCase {
    func error(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { JSONSyntax.firstError(in: $0) }.map { "\($0.message) at \($0.offset)" }
    }

    func testValidJSONHasNoError() {
        for text in [#"{}"#, #"[]"#, #" {"a":[1,-2.5e+3,0,true,false,null,"x\"\\\/\b\f\n\r\t\u00e9"],"b":{}} "#,
                     "\"雪 🚀\"", "0", "-0.0E-7", "[[[]]]"] {
            XCTAssertNil(error(text), text)
        }
    }

    func testErrorsArePlaced() {
        XCTAssertEqual(error(#"{"a":1,"#), "unexpected end of line at 7")
        XCTAssertEqual(error(#"{"a" 1}"#), "expected ':' after the field name at 5")
        XCTAssertEqual(error(#"{a:1}"#), "expected a field name in double quotes at 1")
        XCTAssertEqual(error(#"[1 2]"#), "expected ',' or ']' at 3")
        XCTAssertEqual(error(#"{"a":1]"#), "expected ',' or '}' at 6")
        XCTAssertEqual(error(#"{"a":01}"#), "expected ',' or '}' at 6")
        XCTAssertEqual(error(#"{"a":-}"#), "malformed number at 5")
        XCTAssertEqual(error(#"{"a":1.}"#), "malformed number at 5")
        XCTAssertEqual(error(#"{"a":tru}"#), "unexpected word at 5")
        XCTAssertEqual(error(#"{"a":"x\q"}"#), "bad escape in string at 7")
        XCTAssertEqual(error(#"{"a":"\u12"}"#), #"bad \u escape at 6"#)
        XCTAssertEqual(error("{\"a\":\"x\ty\"}"), "control character in string at 7")
        XCTAssertEqual(error(#"{"a":"abc"#), "unterminated string at 5")
        XCTAssertEqual(error(#"{} {}"#), "unexpected text after the JSON value at 3")
        XCTAssertEqual(error(""), "unexpected end of line at 0")
        let invalidUTF8: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        XCTAssertEqual(invalidUTF8.withUnsafeBytes { JSONSyntax.firstError(in: $0) }?.message, "invalid UTF-8 in string")
    }

    func testDeepNestingDoesNotRecurse() {
        XCTAssertEqual(error(String(repeating: "[", count: 200_000)), "unexpected end of line at 200000")
    }
}
