// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the service tests: alerts, bounded polling, a capturing log handler.

import Foundation
import Logging
import RuntimeWatchCore
import XCTest

/// A distinct Falco-shaped alert; `index` appears in its output and `proc.pid`.
func makeAlert(_ index: Int) -> Alert {
    Alert(timestamp: 1_700_000_000_000_000_000 + UInt64(index), ruleID: "service-account-token-read",
          ruleName: "Service account token read", priority: .warning, source: .syscall, hostname: "node-1",
          output: "token read by cat (alert \(index))", tags: ["T1552.007"],
          fields: ["proc.pid": .int(Int64(1000 + index)), "proc.cmdline": .string("cat token"),
                   "container.id": .string("0123456789ab")],
          advice: "rotate the token")
}

/// Polls `condition` every 5 ms until true or `timeout`; fails the test on timeout.
func waitUntil(_ what: String, timeout: Duration = .seconds(5), file: StaticString = #filePath, line: UInt = #line,
               _ condition: () -> Bool) async {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline {
            XCTFail("timed out after \(timeout) waiting for: \(what)", file: file, line: line)
            return
        }
        try? await Task.sleep(for: .milliseconds(5))
    }
}

/// An async gate: `wait()` suspends until `open()` (bounded by the caller's own timeouts).
final class Gate: Sendable {
    private let isOpen = Locked(false)
    func open() { isOpen.withLock { $0 = true } }
    func wait(timeout: Duration = .seconds(10)) async {
        let deadline = ContinuousClock.now + timeout
        while !isOpen.withLock({ $0 }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
}

/// Log lines captured by a test-local handler (never LoggingSystem.bootstrap in tests).
final class LogCapture: Sendable {
    struct Line: Sendable { var level: Logger.Level; var message: String }
    private let box = Locked<[Line]>([])
    var lines: [Line] { box.withLock { $0 } }
    func append(_ line: Line) { box.withLock { $0.append(line) } }

    func logger(label: String = "test") -> Logger {
        var logger = Logger(label: label) { _ in CapturingLogHandler(capture: self) }
        logger.logLevel = .info
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        capture.append(.init(level: event.level, message: event.message.description))
    }
}
