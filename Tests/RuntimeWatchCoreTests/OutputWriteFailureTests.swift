// SPDX-License-Identifier: Apache-2.0
// A failed alert write (ENOSPC on /dev/full, EPIPE on a closed pipe) is never silent: each sink
// counts it and keeps the first error naming the output, and a multiplex sink exposes them, so
// the CLI can report it and exit non-zero.

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class OutputWriteFailureTests: XCTestCase {
    func alert() -> Alert {
        AlertBuilder.build(rule: .reverseShell, output: "shell %proc.name", record: Fixture.connect(1), pid: ProcessID(130),
                           state: Fixture.state(inContainer: true), hostname: "node-1")
    }

    func testFullDiskIsCountedAndNamed() throws {
        let file = try FileSink(path: "/dev/full")
        let full = try XCTUnwrap(FileHandle(forWritingAtPath: "/dev/full"))
        let stream = JSONLinesSink(handle: full, name: "/dev/full (stdout)")
        let all: any AlertSink = MultiplexSink([InMemoryAlertSink(), file, stream])
        XCTAssertEqual(all.writeFailures, 0)
        XCTAssertNil(all.firstWriteError)
        for _ in 0..<3 { all.emit(alert()) }
        XCTAssertEqual(file.writeFailures, 3)
        XCTAssertEqual(stream.writeFailures, 3)
        XCTAssertEqual(all.writeFailures, 6)
        XCTAssertEqual(file.firstWriteError, "writing alerts to /dev/full failed: No space left on device")
        XCTAssertEqual(all.firstWriteError, "writing alerts to /dev/full failed: No space left on device")
        XCTAssertEqual(stream.firstWriteError, "writing alerts to /dev/full (stdout) failed: No space left on device")
    }

    func testClosedPipeIsCountedAndNamed() throws {
        let previous = signal(SIGPIPE, SIG_IGN)   // as the CLI does: EPIPE, not death
        defer { signal(SIGPIPE, previous) }
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let sink = JSONLinesSink(handle: pipe.fileHandleForWriting)
        sink.emit(alert())
        sink.emit(alert())
        XCTAssertEqual(sink.writeFailures, 2)
        XCTAssertEqual(sink.firstWriteError, "writing alerts to standard output failed: Broken pipe")
    }
}
