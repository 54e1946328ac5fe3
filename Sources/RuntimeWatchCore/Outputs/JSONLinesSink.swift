// SPDX-License-Identifier: Apache-2.0
// Alerts as Falco JSON lines on a stream (stdout by default): the DaemonSet output the cluster's log
// pipeline collects, and what `replay --format json` prints.

import Foundation

public final class JSONLinesSink: AlertSink, @unchecked Sendable {
    private let writer: LineWriter

    /// - Parameter handle: where lines go; standard output by default.
    /// - Parameter name: the output in error texts.
    public init(handle: FileHandle = .standardOutput, name: String = "standard output") {
        writer = LineWriter(handle: handle, name: name)
    }

    public func emit(_ alert: Alert) {
        writer.write { alert.appendJSONLine(to: &$0) }
    }

    /// Lines that could not be written (closed pipe, full disk).
    public var writeFailures: UInt64 { writer.failureCount }
    /// The first failed write, naming the output, or nil.
    public var firstWriteError: String? { writer.firstFailure }
}
