// SPDX-License-Identifier: Apache-2.0
// The sinks: JSON lines on a stream, the human text line, the file sink's append and logrotate
// reopen, fan-out, and failures counted instead of crashing.

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class OutputSinkTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("rw-sink-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func alert(_ seconds: Double, count: Int = 1) -> Alert {
        var a = AlertBuilder.build(rule: .reverseShell, output: "shell %proc.name", record: Fixture.connect(seconds), pid: ProcessID(130),
                                   state: Fixture.state(inContainer: true), hostname: "node-1")
        a.count = count
        return a
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func testJSONLinesSinkWritesOneLinePerAlert() throws {
        let pipe = Pipe()
        let sink = JSONLinesSink(handle: pipe.fileHandleForWriting)
        sink.emit(alert(1))
        sink.emit(alert(2))
        try pipe.fileHandleForWriting.close()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(text, alert(1).jsonLine() + "\n" + alert(2).jsonLine() + "\n")
    }

    func testWriteFailureIsCountedNotFatal() throws {
        let pipe = Pipe()
        let sink = JSONLinesSink(handle: pipe.fileHandleForWriting)
        try pipe.fileHandleForWriting.close()   // EBADF on write
        sink.emit(alert(1))
        XCTAssertEqual(sink.writeFailures, 1)
    }

    func testHumanLine() {
        XCTAssertEqual(HumanSink.line(for: alert(1), colour: false), "2024-05-01T12:00:01.000000000Z Critical Reverse shell: shell nc")
        XCTAssertEqual(HumanSink.line(for: alert(1, count: 4), colour: false),
                       "2024-05-01T12:00:01.000000000Z Critical Reverse shell: shell nc (repeated 4 times)")
        let coloured = HumanSink.line(for: alert(1), colour: true)
        XCTAssertTrue(coloured.contains("\u{1B}[1;31mCritical\u{1B}[0m"), coloured)
        // A pipe is not a terminal: no colour unless forced.
        XCTAssertFalse(HumanSink(handle: Pipe().fileHandleForWriting).colour)
        XCTAssertTrue(HumanSink(handle: Pipe().fileHandleForWriting, colour: true).colour)
    }

    func testFileSinkAppendsAndReopensAfterLogrotate() throws {
        let path = dir.appendingPathComponent("alerts.jsonl").path
        try "existing line\n".write(toFile: path, atomically: false, encoding: .utf8)
        let sink = try FileSink(path: path)
        sink.emit(alert(1))
        // logrotate: rename the live file away, then signal the monitor.
        let rotated = dir.appendingPathComponent("alerts.jsonl.1").path
        try FileManager.default.moveItem(atPath: path, toPath: rotated)
        sink.emit(alert(2))                     // still goes to the renamed file (same descriptor)
        try sink.reopen()
        sink.emit(alert(3))
        sink.emit(alert(4))
        XCTAssertEqual(try lines(rotated), ["existing line", alert(1).jsonLine(), alert(2).jsonLine()])
        XCTAssertEqual(try lines(path), [alert(3).jsonLine(), alert(4).jsonLine()])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode.map { $0 & 0o077 }, 0o040, "new file is not world-readable")
        XCTAssertEqual(sink.writeFailures, 0)
    }

    func testFileSinkTextFormat() throws {
        let path = dir.appendingPathComponent("alerts.txt").path
        let sink = try FileSink(path: path, format: .text)
        sink.emit(alert(1))
        XCTAssertEqual(try lines(path), [HumanSink.line(for: alert(1), colour: false)])
    }

    func testFileSinkErrorsAndRecovery() throws {
        let missingDir = dir.appendingPathComponent("not-yet").path
        let path = missingDir + "/alerts.jsonl"
        XCTAssertThrowsError(try FileSink(path: path)) { error in
            XCTAssertTrue("\(error)".contains("No such file or directory"), "\(error)")
        }
        // A sink whose reopen fails keeps counting failures and recovers once the path works again.
        let good = dir.appendingPathComponent("a.jsonl").path
        let sink = try FileSink(path: good)
        try FileManager.default.removeItem(at: dir)
        XCTAssertThrowsError(try sink.reopen())
        sink.emit(alert(1))
        XCTAssertEqual(sink.writeFailures, 1)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        sink.emit(alert(2))                     // emit retries the open
        XCTAssertEqual(try lines(good), [alert(2).jsonLine()])
    }

    func testFileSinkConcurrentWritesAndReopenLoseNothing() throws {
        let path = dir.appendingPathComponent("busy.jsonl").path
        let sink = try FileSink(path: path)
        let line = alert(1)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<250 {
                if worker == 0 && i % 50 == 0 { try? sink.reopen() }
                sink.emit(line)
            }
        }
        let written = try lines(path)
        XCTAssertEqual(written.count, 1000)
        XCTAssertTrue(written.allSatisfy { $0 == line.jsonLine() }, "no torn or interleaved lines")
    }

    func testMultiplexAndNoOp() async {
        let a = InMemoryAlertSink(), b = InMemoryAlertSink()
        let sink = MultiplexSink([a, NoOpSink(), b])
        sink.emit(alert(1))
        await sink.flush()
        XCTAssertEqual(a.alerts, [alert(1)])
        XCTAssertEqual(b.alerts, [alert(1)])
        XCTAssertEqual(a.jsonLines, [alert(1).jsonLine()])
        a.removeAll()
        XCTAssertTrue(a.alerts.isEmpty)
    }
}
