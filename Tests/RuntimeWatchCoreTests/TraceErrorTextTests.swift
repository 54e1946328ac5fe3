// SPDX-License-Identifier: Apache-2.0
// Malformed-line reasons say what is wrong and where, the same through the byte-level decoder and
// through the JSONDecoder fallback: a number that does not fit names its field, deep nesting and a
// half surrogate pair get their own words, a second header is called one, and no reason shows
// Swift or Foundation internals.

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class TraceErrorTextTests: TemporaryDirectoryTestCase {
    let headerLine = TraceHeader(hostname: "h", kernel: "k", start: 0).jsonLine()
    func good(_ ts: UInt64) -> String { #"{"ts":\#(ts),"type":"sid","pid":\#(ts)}"# }

    /// The reasons for `lines` (after the header and one good line), through both decoders.
    func reasons(_ lines: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        var results: [[String]] = []
        for fast in [true, false] {
            let p = try self.file("t\(fast).jsonl", ([headerLine, good(2)] + lines + [good(99)]).joined(separator: "\n"))
            let log = IssueLog()
            let reader = try TraceReader(path: p, onIssue: log.record)
            reader.usesFastDecoder = fast
            XCTAssertEqual(try reader.readAll().map(\.timestamp), [2, 99], "the lines around still come through", file: file, line: line)
            XCTAssertEqual(log.malformed.map(\.number), Array(3..<(3 + lines.count)), file: file, line: line)
            results.append(log.malformed.map(\.reason))
        }
        XCTAssertEqual(results[0], results[1], "fast decoder and fallback agree", file: file, line: line)
        return results[0]
    }

    func testANumberThatDoesNotFitNamesItsField() throws {
        let r = try reasons([
            #"{"ts":12,"type":"fds","pid":1,"fds":[{"fd":0,"kind":"pipe","target":"pipe:[1]","inode":-1}]}"#,
            #"{"ts":-5,"type":"sid","pid":1}"#,
            #"{"ts":5,"type":"sid","pid":99999999999}"#,
            #"{"ts":5,"type":"exit","pid":-1,"code":1.5}"#,
        ])
        let tail = "does not fit (out of range for the field, or fractional where an integer is expected)"
        XCTAssertEqual(r[0], #"field "fds[0].inode": the number -1 "# + tail)
        XCTAssertEqual(r[1], #"field "ts": the number -5 "# + tail)
        XCTAssertEqual(r[2], #"field "pid": the number 99999999999 "# + tail)
        XCTAssertEqual(r.count, 4)
        XCTAssertEqual(r[3], #"field "code": the number 1.5 "# + tail, "pid -1 fits an Int32: the probe skips it")
    }

    func testDeepNestingAndHalfSurrogatesHaveTheirOwnReasons() throws {
        let prefix = #"{"ts":3,"type":"sid","pid":1,"x":"#
        let deep = prefix + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
        let surrogate = #"{"ts":4,"type":"comm","pid":1,"comm":"ab\ud800"}"#
        let r = try reasons([deep, surrogate])
        XCTAssertEqual(r[0], "nested more than 512 levels deep at column \(prefix.utf8.count + 512)")
        XCTAssertEqual(r[1], #"field "comm": a \u escape at column 41 is half of a UTF-16 surrogate pair, not a character"#)
    }

    func testASecondHeaderIsCalledOne() throws {
        let r = try reasons([headerLine])
        XCTAssertEqual(r, ["a second trace header, not an event (two traces joined?); the header is line 1"])
    }

    func testNoReasonShowsFoundationInternals() {
        // Strings inside audit items are read lazily; Foundation throws its internal JSONError then.
        let body = Array(#"{"kind":"EventList","items":[{"level":""#.utf8) + [0xFF] + Array(#""},{"level":"\#u{01}"},{"level":"\ud800"}]}"#.utf8)
        let result = try? AuditEventDecoder.decodeDocument(body)
        let reasons = result?.issues.map(\.reason) ?? []
        XCTAssertEqual(reasons.count, 3, "\(reasons)")
        for reason in reasons {
            XCTAssertFalse(reason.contains("FoundationEssentials") || reason.contains("JSONError") || reason.contains("location:"), reason)
        }
        // A failed item is decoded again from its own bytes: the column is the item's.
        XCTAssertEqual(reasons, ["not valid JSON: invalid UTF-8 in string at column 11", "not valid JSON: control character in string at column 11",
                                 #"field "level": a \u escape at column 11 is half of a UTF-16 surrogate pair, not a character"#])
    }
}
