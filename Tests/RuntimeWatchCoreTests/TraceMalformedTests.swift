// SPDX-License-Identifier: Apache-2.0
// Bad lines in a trace: each is reported with its line number and a reason that says what is
// wrong, counted, and skipped, while every good line around it still comes through.

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class TraceMalformedTests: TemporaryDirectoryTestCase {
    let headerLine = TraceHeader(hostname: "h", kernel: "k", start: 0).jsonLine()

    func good(_ ts: UInt64) -> String { #"{"ts":\#(ts),"type":"sid","pid":\#(ts)}"# }

    func testEachMalformedLineIsReportedAndTheRestComesThrough() throws {
        let lines = [
            headerLine,                                                   // 1
            good(2),                                                      // 2
            "hello world",                                                // 3 garbage
            good(4),                                                      // 4
            #"{"ts":5,"type":"fork","parent":1,"chi"#,                    // 5 truncated JSON
            #"{"ts":6,"type":"teleport","pid":1}"#,                       // 6 unknown type
            #"{"ts":7,"type":"exit","code":0}"#,                          // 7 missing field
            String(repeating: "x", count: 500_000),                       // 8 a 500 KB line
            good(9),                                                      // 9
            #"{"ts":"soon","type":"sid","pid":1}"#,                       // 10 wrong type
            "[1,2,3]",                                                    // 11 not an object
            #"{"ts":12,"type":"fds","pid":1,"fds":[{"fd":0,"kind":"pipe","target":"pipe:[1]","inode":-1}]}"#, // 12 nested
            #"{"ts":13,"pid":1}"#,                                        // 13 no type
            "",                                                           // 14 blank: skipped silently
            good(15) + "\r",                                              // 15 CRLF
            good(16),                                                     // 16 last line, no newline
        ]
        let p = try file("mixed.jsonl", lines.joined(separator: "\n"))
        let log = IssueLog()
        let reader = try TraceReader(path: p, onIssue: log.record)
        let records = try reader.readAll()

        XCTAssertEqual(records.map(\.timestamp), [2, 4, 9, 15, 16])
        let malformed = log.malformed
        XCTAssertEqual(malformed.map(\.number), [3, 5, 6, 7, 8, 10, 11, 12, 13])
        let reasons = Dictionary(uniqueKeysWithValues: malformed.map { ($0.number, $0.reason) })
        XCTAssertEqual(reasons[3], "not valid JSON: unexpected character at column 1")
        XCTAssertEqual(reasons[5], "not valid JSON: unterminated string at column 34")
        XCTAssertEqual(reasons[6], #"field "type": unknown event type "teleport""#)
        XCTAssertEqual(reasons[7], #"missing field "pid""#)
        XCTAssertEqual(reasons[8], "not valid JSON: unexpected character at column 1",
                       "500 KB is under the default limit: read whole, then rejected")
        XCTAssertEqual(reasons[10], #"field "ts" has the wrong type, expected an integer"#)
        XCTAssertEqual(reasons[11], "not a JSON object")
        XCTAssertEqual(reasons[12], #"field "fds[0].inode": the number -1 does not fit (out of range for the field, or fractional where an integer is expected)"#,
                       "inode -1 for an unsigned field")
        XCTAssertEqual(reasons[13], #"missing field "type""#)

        XCTAssertEqual(reader.counts.lines, 16)
        XCTAssertEqual(reader.counts.records, 5)
        XCTAssertEqual(reader.counts.malformed, 9)
        XCTAssertEqual(log.issues.count, 9, "no missingHeader warning: the trace has one")
        for issue in log.issues { XCTAssertTrue(issue.isRecoverable) }
    }

    func testALineOverTheLimitIsSkippedWithoutBufferingIt() throws {
        let long = #"{"ts":3,"type":"comm","pid":1,"comm":""# + String(repeating: "y", count: 500_000) + #""}"#
        let text = [headerLine, good(2), long, good(4), long, long, good(7)].joined(separator: "\n") + "\n"
        let p = try file("long.jsonl", text)
        let log = IssueLog()
        // 4 KiB reads and a 100 KB limit: the long lines span many reads.
        let reader = try TraceReader(path: p, maxLineBytes: 100_000, onIssue: log.record)
        XCTAssertEqual(try reader.readAll().map(\.timestamp), [2, 4, 7])
        XCTAssertEqual(log.malformed.map(\.number), [3, 5, 6])
        XCTAssertEqual(log.malformed.first?.reason, "line is \(long.utf8.count) bytes, over the 100000-byte line limit")
        XCTAssertEqual(reader.counts.malformed, 3)
    }

    func testAnOverlongLastLineWithoutNewline() throws {
        let p = try file("tail.jsonl", headerLine + "\n" + good(2) + "\n" + String(repeating: "z", count: 300_000))
        let log = IssueLog()
        let reader = try TraceReader(path: p, maxLineBytes: 1_000, onIssue: log.record)
        XCTAssertEqual(try reader.readAll().map(\.timestamp), [2])
        XCTAssertEqual(log.malformed.map(\.number), [3])
        XCTAssertEqual(log.malformed.first?.reason, "line is 300000 bytes, over the 1000-byte line limit")
    }

    func testTruncatedFinalLine() throws {
        // A recording cut off mid-write (crash, full disk).
        let p = try file("cut.jsonl", headerLine + "\n" + good(2) + "\n" + String(good(3).prefix(10)))
        let log = IssueLog()
        let reader = try TraceReader(path: p, onIssue: log.record)
        XCTAssertEqual(try reader.readAll().map(\.timestamp), [2])
        XCTAssertEqual(log.malformed.map(\.number), [3])
    }

    func testLinesExactlyAtTheLimitAreAccepted() throws {
        let line = good(2)
        let p = try file("exact.jsonl", headerLine + "\n" + line + "\n")
        let log = IssueLog()
        let reader = try TraceReader(path: p, maxLineBytes: max(line.utf8.count, headerLine.utf8.count), onIssue: log.record)
        XCTAssertEqual(try reader.readAll().count, 1)
        XCTAssertEqual(log.issues, [])
    }
}
