// SPDX-License-Identifier: Apache-2.0
// `--format text`: one readable line per alert for people at a terminal. Colour only when the stream
// is a terminal, so redirected output stays plain text.

import Foundation

public final class HumanSink: AlertSink, @unchecked Sendable {
    private let writer: LineWriter
    public let colour: Bool

    /// - Parameters:
    ///   - handle: where lines go; standard output by default.
    ///   - colour: force colour on or off; nil = colour if `handle` is a terminal.
    public init(handle: FileHandle = .standardOutput, colour: Bool? = nil) {
        writer = LineWriter(handle: handle, name: handle === FileHandle.standardOutput ? "standard output" : "descriptor \(handle.fileDescriptor)")
        self.colour = colour ?? (isatty(handle.fileDescriptor) == 1)
    }

    public func emit(_ alert: Alert) {
        writer.write(Self.line(for: alert, colour: colour))
    }

    /// `<RFC 3339 time> <Priority> <rule>: <output>[ (repeated N times)]`, with the priority coloured
    /// when `colour` is true.
    public static func line(for alert: Alert, colour: Bool) -> String {
        var priority = alert.priority.rawValue
        if colour { priority = ansi(for: alert.priority) + priority + "\u{1B}[0m" }
        var line = "\(RFC3339.format(nanoseconds: alert.timestamp)) \(priority) \(alert.ruleName): \(alert.output)"
        if alert.count > 1 { line += " (repeated \(alert.count) times)" }
        return line
    }

    private static func ansi(for p: Priority) -> String {
        switch p {
        case .emergency, .alert, .critical: "\u{1B}[1;31m"
        case .error: "\u{1B}[31m"
        case .warning: "\u{1B}[33m"
        case .notice: "\u{1B}[36m"
        case .informational, .debug: "\u{1B}[2m"
        }
    }

    /// Lines that could not be written, and the first failure naming the output.
    public var writeFailures: UInt64 { writer.failureCount }
    public var firstWriteError: String? { writer.firstFailure }
}
