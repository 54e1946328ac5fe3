// SPDX-License-Identifier: Apache-2.0
// The byte-level decoder against the reference, a whole trace at a time: every golden fixture, a
// synthetic trace and the recorded busy host are read through TraceReader once with the fast
// decoder and once with JSONDecoder for every line, and must give the same records. Whole traces
// matter because the fast decoder keeps state across lines (its string cache and buffers).

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class TraceReaderDifferentialTests: TemporaryDirectoryTestCase {
    private struct Reading: Equatable {
        var records: [EventRecord]
        var malformed: [Int]
    }

    private func read(_ path: String, fast: Bool) throws -> (Reading, TraceReader.Counts) {
        let log = IssueLog()
        let reader = try TraceReader(path: path, onIssue: log.record)
        reader.usesFastDecoder = fast
        let records = try reader.readAll()
        return (Reading(records: records, malformed: log.malformed.map(\.number)), reader.counts)
    }

    /// Reads `path` both ways and asserts the same records and malformed lines.
    /// - Returns: how many lines the fast path left to JSONDecoder.
    @discardableResult
    private func assertSameBothWays(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let (fast, fastCounts) = try read(path, fast: true)
        let (reference, _) = try read(path, fast: false)
        XCTAssertFalse(reference.records.isEmpty, path, file: file, line: line)
        XCTAssertEqual(fast.records.count, reference.records.count, path, file: file, line: line)
        for (i, (a, b)) in zip(fast.records, reference.records).enumerated() where a != b {
            XCTFail("\(path): record \(i) differs:\n fast: \(a)\n  ref: \(b)", file: file, line: line)
            break
        }
        XCTAssertEqual(fast.malformed, reference.malformed, path, file: file, line: line)
        return fastCounts.fallbackDecodes
    }

    func testEveryGoldenFixtureReadsTheSameBothWays() throws {
        let fixtures = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let traces = try FileManager.default.contentsOfDirectory(at: fixtures, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "jsonl" && !$0.lastPathComponent.hasSuffix(".expected.jsonl") }
        XCTAssertFalse(traces.isEmpty)
        for url in traces {
            XCTAssertEqual(try assertSameBothWays(url.path), 0, "\(url.lastPathComponent): every line takes the fast path")
        }
    }

    func testASyntheticTraceReadsTheSameBothWays() throws {
        let p = path("synthetic.jsonl")
        let writer = try TraceWriter(path: p, header: TraceHeader(hostname: "h", kernel: "k", start: 0))
        for record in SyntheticTrace(count: 20_000, liveProcesses: 300) { try writer.write(record) }
        try writer.close()
        XCTAssertEqual(try assertSameBothWays(p), 0)
    }

    /// Real variety: hundreds of pods, builds, package installs, escapes, long argv.
    func testTheRecordedBusyHostReadsTheSameBothWays() throws {
        let xz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("bench/traces/busy-host.jsonl.xz").path
        guard FileManager.default.fileExists(atPath: "/usr/bin/xz") else {
            throw XCTSkip("xz is not installed (Debian package xz-utils): cannot unpack \(xz)")
        }
        let p = path("busy-host.jsonl")
        let unpack = Process()
        unpack.executableURL = URL(fileURLWithPath: "/bin/sh")
        unpack.arguments = ["-c", "xz -dc \"$0\" > \"$1\"", xz, p]
        try unpack.run()
        unpack.waitUntilExit()
        XCTAssertEqual(unpack.terminationStatus, 0)
        XCTAssertEqual(try assertSameBothWays(p), 0)
    }

    /// Bad lines among good ones: the same lines are reported, the same records kept, and a
    /// string cached from a bad line's neighbours never leaks into another record. Both ways read
    /// through `forEach`, which decodes every line into one reused record (`next(into:)`): a line
    /// whose payload decodes whole before trailing bytes fail it has written that record, and the
    /// next good line must still come out as it is.
    func testMalformedLinesAreReportedTheSameBothWays() throws {
        var lines = [TraceHeader(hostname: "h", kernel: "k", start: 0).jsonLine()]
        for (i, record) in SyntheticTrace(count: 200, liveProcesses: 20).enumerated() {
            var bytes: [UInt8] = []
            record.appendFastJSONLine(to: &bytes)
            var text = String(decoding: bytes, as: UTF8.self)
            if i % 17 == 3 { text = String(text.dropLast(5)) }
            if i % 23 == 5 { text = text.replacingOccurrences(of: #""pid":"#, with: #""pid":-"#) }
            if i % 19 == 7 { text += "x" }
            lines.append(text)
        }
        let p = try file("mixed.jsonl", lines.joined(separator: "\n"))
        try assertSameBothWays(p)
    }

    /// A cache of one slot makes every cacheable string collide with the one before.
    func testATinyCacheDecodesTheSameAsJSONDecoder() throws {
        var cursor = JSONLineCursor(strings: TraceStringCache(slotCount: 1))
        let decoder = JSONDecoder()
        for record in SyntheticTrace(count: 5_000, liveProcesses: 100) {
            var bytes: [UInt8] = []
            record.appendFastJSONLine(to: &bytes)
            let fast = bytes.withUnsafeBytes { FastTraceDecoder.decode($0, reusing: &cursor) }
            XCTAssertEqual(fast, try decoder.decode(EventRecord.self, from: Data(bytes)))
            XCTAssertEqual(fast, record)
        }
        XCTAssertLessThanOrEqual(cursor.strings.count, 1)
    }
}
