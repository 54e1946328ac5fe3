// SPDX-License-Identifier: Apache-2.0
// TraceWriter → TraceReader round trips: every Event case with every field, through a file and
// through a pipe (how `record | replay -` and stdin work), byte-stable output, concurrent writers.

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class TraceRoundTripTests: TemporaryDirectoryTestCase {
    let header = TraceHeader(hostname: "node-1 \"quoted\"", kernel: "6.1.0-18-amd64", start: 1_714_564_800_123_456_789)

    func testSamplesCoverEveryEventCase() {
        XCTAssertEqual(Set(EventSamples.all.map(EventSamples.caseIndex)), Set(0..<EventSamples.caseCount))
        XCTAssertEqual(Set(EventSamples.all.map(\.kind)).count, EventSamples.caseCount, "kinds are distinct")
    }

    func testEveryEventCaseRoundTripsThroughAFile() throws {
        let p = path("all.jsonl")
        let writer = try TraceWriter(path: p, header: header)
        for r in EventSamples.records { try writer.write(r) }
        try writer.close()
        XCTAssertEqual(writer.recordsWritten, UInt64(EventSamples.caseCount))

        let log = IssueLog()
        let reader = try TraceReader(path: p, onIssue: log.record)
        XCTAssertEqual(try reader.readHeader(), header)
        let back = try reader.readAll()
        XCTAssertEqual(back, EventSamples.records)
        XCTAssertEqual(log.issues, [])
        XCTAssertEqual(reader.counts.lines, EventSamples.caseCount + 1)
        XCTAssertEqual(reader.counts.records, EventSamples.caseCount)
        XCTAssertEqual(reader.counts.malformed, 0)
        XCTAssertEqual(reader.bytesRead, UInt64(try FileManager.default.attributesOfItem(atPath: p)[.size] as! Int))
    }

    func testLinesAreCompactWithTsAndTypeFirstAndSortedPayload() throws {
        let fork = EventRecord(timestamp: 5, event: .fork(ForkEvent(parent: ProcessID(1), child: ProcessID(2))))
        XCTAssertEqual(try fork.jsonLine(), #"{"ts":5,"type":"fork","child":2,"parent":1}"#)
        let exit = EventRecord(timestamp: 6, event: .exit(ExitEvent(pid: ProcessID(3), code: 0)))
        XCTAssertEqual(try exit.jsonLine(), #"{"ts":6,"type":"exit","code":0,"pid":3}"#, "nil fields are left out")
        let sid = EventRecord(timestamp: 7, event: .sid(PIDEvent(pid: ProcessID(4))))
        XCTAssertEqual(try sid.jsonLine(), #"{"ts":7,"type":"sid","pid":4}"#)
        let open = EventRecord(timestamp: 8, event: .fileOpen(FileOpenEvent(pid: ProcessID(5), path: "/var/run/secrets/t")))
        XCTAssertEqual(try open.jsonLine(), #"{"ts":8,"type":"open","path":"/var/run/secrets/t","pid":5,"write":false}"#,
                       "slashes are not escaped")
        // Key order does not depend on the run: encode the richest records many times.
        for r in EventSamples.records {
            let first = try r.jsonLine()
            for _ in 0..<20 { XCTAssertEqual(try r.jsonLine(), first) }
            XCTAssertFalse(first.contains("\n"), "one record, one line")
        }
    }

    func testHeaderLineIsExact() {
        XCTAssertEqual(TraceHeader(hostname: "n", kernel: "6.1", start: 1_714_564_800_000_000_001).jsonLine(),
                       #"{"format":"runtime-watch-trace","version":1,"hostname":"n","kernel":"6.1","start":"2024-05-01T12:00:00.000000001Z"}"#)
        XCTAssertEqual(TraceHeader(hostname: "a\"b\\c\nd\u{7}", kernel: "k", start: 0).jsonLine(),
                       #"{"format":"runtime-watch-trace","version":1,"hostname":"a\"b\\c\nd\u0007","kernel":"k","start":"1970-01-01T00:00:00.000000000Z"}"#)
    }

    /// A pipe stands in for stdin: the reader takes any FileHandle and streams while the writer
    /// is still writing (more than a pipe buffer and more than one read chunk).
    func testStreamsFromAPipeWhileItIsWritten() throws {
        let pipe = Pipe()
        let count = 30_000
        let writer = TraceWriter(fileHandle: pipe.fileHandleForWriting, name: "pipe", header: header, bufferBytes: 4096)
        let writeEnd = pipe.fileHandleForWriting
        let done = expectation(description: "writer finished")
        let failure = IssueLog()
        Thread.detachNewThread {
            do {
                for i in 0..<count {
                    try writer.write(EventRecord(timestamp: UInt64(i), event: .fork(ForkEvent(parent: ProcessID(1), child: ProcessID(Int32(i))))))
                }
                try writer.close()
            } catch let error as TraceError { failure.record(error) } catch {}
            try? writeEnd.close()
            done.fulfill()
        }
        let log = IssueLog()
        let reader = TraceReader(fileHandle: pipe.fileHandleForReading, name: "-", onIssue: log.record)
        var n = 0
        try reader.forEach { record in
            XCTAssertEqual(record.timestamp, UInt64(n))
            n += 1
        }
        wait(for: [done], timeout: 60)
        XCTAssertEqual(failure.issues, [])
        XCTAssertEqual(n, count)
        XCTAssertEqual(reader.header, header)
        XCTAssertEqual(log.issues, [])
    }

    func testConcurrentWritersNeverInterleaveLines() throws {
        let p = path("concurrent.jsonl")
        let writer = try TraceWriter(path: p, header: header, bufferBytes: 512)
        let threads = 4, perThread = 2_000
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for i in 0..<perThread {
                try! writer.write(EventRecord(timestamp: UInt64(t * 1_000_000 + i), event: .comm(CommEvent(pid: ProcessID(Int32(t)), comm: "thread-\(t)-\(i)"))))
            }
        }
        try writer.close()
        let log = IssueLog()
        let back = try TraceReader(path: p, onIssue: log.record).readAll()
        XCTAssertEqual(log.issues, [])
        XCTAssertEqual(back.count, threads * perThread)
        for t in 0..<threads {
            let mine = back.filter { $0.event.pid == ProcessID(Int32(t)) }.map(\.timestamp)
            XCTAssertEqual(mine, (0..<perThread).map { UInt64(t * 1_000_000 + $0) }, "thread \(t)'s lines intact and in order")
        }
    }

    func testAHalfMegabyteRecordRoundTripsAndAnOversizedOneIsRefused() throws {
        let p = path("big.jsonl")
        let writer = try TraceWriter(path: p, header: header)
        var info = EventSamples.fullProcess
        info.argv = ["python3", "-c", String(repeating: "A", count: 500_000)]
        let big = EventRecord(timestamp: 1, event: .exec(info))
        try writer.write(big)
        info.argv = ["x", String(repeating: "B", count: TraceReader.defaultMaxLineBytes)]
        XCTAssertThrowsError(try writer.write(EventRecord(timestamp: 2, event: .exec(info)))) { error in
            guard case TraceError.recordTooLong(let bytes, let limit)? = error as? TraceError else { return XCTFail("\(error)") }
            XCTAssertGreaterThan(bytes, limit)
            XCTAssertEqual(limit, TraceReader.defaultMaxLineBytes)
        }
        let after = EventRecord(timestamp: 3, event: .sid(PIDEvent(pid: ProcessID(9))))
        try writer.write(after)
        try writer.close()
        XCTAssertThrowsError(try writer.write(after), "a closed writer refuses writes")
        let log = IssueLog()
        XCTAssertEqual(try TraceReader(path: p, onIssue: log.record).readAll(), [big, after])
        XCTAssertEqual(log.issues, [])
    }

    func testWriterReportsUnopenablePath() {
        XCTAssertThrowsError(try TraceWriter(path: path("missing-dir/x.jsonl"), header: header)) { error in
            XCTAssertEqual(error as? TraceError, .cannotOpen(path: path("missing-dir/x.jsonl"), reason: "No such file or directory"))
        }
    }
}
