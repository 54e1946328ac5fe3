// SPDX-License-Identifier: Apache-2.0
// Header validation: the right header is read back; another format, another version, or a broken
// header is a clear thrown error; a missing header is tolerated with a warning; input that is not
// a trace at all is refused; the reader takes any FileHandle (stdin).

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class TraceHeaderTests: TemporaryDirectoryTestCase {
    let event = #"{"ts":1,"type":"sid","pid":1}"#

    func read(_ text: String) throws -> (TraceReader, [EventRecord], IssueLog) {
        let log = IssueLog()
        let reader = try TraceReader(path: try file("t.jsonl", text), onIssue: log.record)
        let records = try reader.readAll()
        return (reader, records, log)
    }

    func assertThrows(_ text: String, _ expected: TraceError, line: UInt = #line) {
        XCTAssertThrowsError(try read(text), line: line) { error in
            XCTAssertEqual(error as? TraceError, expected, line: line)
            XCTAssertFalse((error as? TraceError)?.isRecoverable ?? true, line: line)
        }
    }

    func testHeaderIsReadBack() throws {
        let header = TraceHeader(hostname: "node-7", kernel: "6.1.0-18-amd64", start: 1_714_564_800_987_654_321)
        let (reader, records, log) = try read(header.jsonLine() + "\n" + event + "\n")
        XCTAssertEqual(reader.header, header)
        XCTAssertEqual(records.count, 1)
        XCTAssertEqual(log.issues, [])
    }

    /// The node's resolvers ride in the header when capture read them, and only then.
    func testResolversAreWrittenWhenKnownAndReadBack() throws {
        let header = TraceHeader(hostname: "node-7", kernel: "k", start: 1_714_564_800_000_000_000, resolvers: ["10.0.0.2", "fd00::53"])
        XCTAssertEqual(header.jsonLine(), #"{"format":"runtime-watch-trace","version":1,"hostname":"node-7","kernel":"k","resolvers":["10.0.0.2","fd00::53"],"start":"2024-05-01T12:00:00.000000000Z"}"#)
        XCTAssertEqual(try read(header.jsonLine() + "\n" + event + "\n").0.header, header)
        XCTAssertFalse(TraceHeader(hostname: "h", kernel: "k", start: 0).jsonLine().contains("resolvers"), "an old-style header when unknown")
    }

    func testHeaderWithExtraFieldsAndOtherKeyOrderIsAccepted() throws {
        let text = #"{"start":"2024-05-01T12:00:00+02:00","kernel":"k","hostname":"h","version":1,"format":"runtime-watch-trace","note":"x"}"#
        let (reader, _, _) = try read(text + "\n")
        XCTAssertEqual(reader.header, TraceHeader(hostname: "h", kernel: "k", start: 1_714_557_600_000_000_000))
    }

    func testWrongFormatOrVersionIsRefused() {
        assertThrows(#"{"format":"falco-scap","version":1,"hostname":"h","kernel":"k","start":"2024-05-01T12:00:00Z"}"#,
                     .unsupportedFormat("falco-scap"))
        assertThrows(#"{"format":"runtime-watch-trace","version":2,"hostname":"h","kernel":"k","start":"2024-05-01T12:00:00Z"}"#,
                     .unsupportedVersion(2))
        XCTAssertEqual(TraceError.unsupportedVersion(2).description, "unsupported trace version 2; this build reads version 1")
    }

    /// A fuzzing find: a start in year 8790 stopped `replay` with an arithmetic-overflow trap.
    func testStartPastTheNanosecondRangeIsAMalformedHeaderNotATrap() {
        assertThrows(#"{"format":"runtime-watch-trace","version":1,"hostname":"vm","kernel":"k","start":"8790-11-22T11:59:15.532627269Z"}"#,
                     .malformedHeader(reason: #"field "start": "8790-11-22T11:59:15.532627269Z" is not an RFC 3339 time"#))
    }

    func testBrokenHeaderIsRefusedWithTheField() {
        assertThrows(#"{"format":"runtime-watch-trace","version":1,"kernel":"k","start":"2024-05-01T12:00:00Z"}"#,
                     .malformedHeader(reason: #"missing field "hostname""#))
        assertThrows(#"{"format":"runtime-watch-trace","version":"1","hostname":"h","kernel":"k","start":"2024-05-01T12:00:00Z"}"#,
                     .malformedHeader(reason: #"field "version" has the wrong type, expected an integer"#))
        assertThrows(#"{"format":"runtime-watch-trace","version":1,"hostname":"h","kernel":"k","start":"yesterday"}"#,
                     .malformedHeader(reason: #"field "start": "yesterday" is not an RFC 3339 time"#))
        assertThrows(#"{"format":"runtime-watch-trace","version":1.5,"hostname":"h","kernel":"k","start":"2024-05-01T12:00:00Z"}"#,
                     .malformedHeader(reason: #"field "version": the number 1.5 does not fit (out of range for the field, or fractional where an integer is expected)"#))
    }

    func testMissingHeaderIsToleratedWithAWarning() throws {
        let (reader, records, log) = try read(event + "\n" + #"{"ts":2,"type":"sid","pid":2}"# + "\n")
        XCTAssertNil(reader.header)
        XCTAssertEqual(records.map(\.timestamp), [1, 2], "the first line is read as an event")
        XCTAssertEqual(log.issues, [.missingHeader])
        XCTAssertEqual(reader.counts.records, 2)
    }

    /// `replay` asks for the header first: the first line, read while looking for it, is still the
    /// first record `next()` gives.
    func testMissingHeaderAskedForFirstKeepsTheFirstEvent() throws {
        let log = IssueLog()
        let reader = try TraceReader(path: try file("t.jsonl", event + "\n" + #"{"ts":2,"type":"sid","pid":2}"# + "\n"), onIssue: log.record)
        XCTAssertNil(try reader.readHeader())
        XCTAssertNil(try reader.readHeader(), "asked again: same answer, nothing more read")
        XCTAssertEqual(try reader.readAll().map(\.timestamp), [1, 2])
        XCTAssertEqual(log.issues, [.missingHeader])
    }

    func testTraceAloneSaysItEndedAtTheEnd() throws {
        let reader = try TraceReader(path: try file("t.jsonl", event + "\n" + #"{"ts":2,"type":"sid","pid":2}"# + "\n"), onIssue: IssueLog().record)
        let source = TraceSource(reader: reader)
        XCTAssertEqual(source.health.running["trace"], true)
        var record = EventRecord.unset
        var timestamps: [UInt64] = []
        while try source.nextRecord(into: &record) { timestamps.append(record.timestamp) }
        XCTAssertEqual(timestamps, [1, 2])
        XCTAssertEqual(source.health.running["trace"], false, "a trace read to its end is no longer running")
        XCTAssertFalse(try source.nextRecord(into: &record), "asked again after the end: still the end")
        XCTAssertEqual(reader.counts.records, 2)
    }

    func testMissingHeaderAndMalformedFirstEvent() throws {
        let (_, records, log) = try read(#"{"ts":1,"type":"nope"}"# + "\n" + event + "\n")
        XCTAssertEqual(records.count, 1)
        XCTAssertEqual(log.issues, [.missingHeader, .malformedLine(number: 1, reason: #"field "type": unknown event type "nope""#)])
    }

    func testInputThatIsNotATraceIsRefused() {
        XCTAssertThrowsError(try read("PK\u{3}\u{4} binary junk\n" + event)) { error in
            guard case .notATrace(let reason)? = error as? TraceError else { return XCTFail("\(error)") }
            XCTAssertEqual(reason, "line 1: not valid JSON: unexpected character at column 1")
        }
        assertThrows("\"just a string\"\n", .notATrace(reason: "line 1 is not a JSON object"))
    }

    func testEmptyAndBlankInputs() throws {
        let (reader, records, log) = try read("")
        XCTAssertNil(reader.header)
        XCTAssertEqual(records, [])
        XCTAssertEqual(log.issues, [])
        let (reader2, records2, _) = try read("\n\n  \n" + TraceHeader(hostname: "h", kernel: "k", start: 0).jsonLine() + "\r\n\n" + event + "\r\n")
        XCTAssertNotNil(reader2.header, "blank lines before the header are skipped")
        XCTAssertEqual(records2.count, 1)
        XCTAssertEqual(reader2.counts.lines, 6, "three blank, header, blank, event")
    }

    func testUnopenablePath() {
        let missing = path("nope.jsonl")
        XCTAssertThrowsError(try TraceReader(path: missing, onIssue: { _ in })) { error in
            XCTAssertEqual(error as? TraceError, .cannotOpen(path: missing, reason: "No such file or directory"))
            XCTAssertEqual("\(error)", "cannot open \(missing): No such file or directory")
        }
    }

    func testReadingADirectoryFailsClearly() throws {
        let reader = try TraceReader(path: directory.path, onIssue: { _ in })
        XCTAssertThrowsError(try reader.next()) { error in
            XCTAssertEqual(error as? TraceError, .readFailed(source: directory.path, reason: "Is a directory"))
        }
    }

    /// stdin is just a FileHandle: a pipe stands in for it.
    func testReadsAnyFileHandle() throws {
        let pipe = Pipe()
        let header = TraceHeader(hostname: "h", kernel: "k", start: 0)
        pipe.fileHandleForWriting.write(Data((header.jsonLine() + "\n" + event + "\n").utf8))
        try pipe.fileHandleForWriting.close()
        let log = IssueLog()
        let reader = TraceReader(fileHandle: pipe.fileHandleForReading, onIssue: log.record)
        XCTAssertEqual(reader.source, "-")
        XCTAssertEqual(try reader.readAll().count, 1)
        XCTAssertEqual(reader.header, header)
        XCTAssertNil(try reader.next(), "stays at end of input")
    }
}
