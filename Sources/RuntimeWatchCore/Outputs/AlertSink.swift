// SPDX-License-Identifier: Apache-2.0
// The output stage's one interface: every backend (stdout, file, webhook, tests) is an AlertSink.

/// Where alerts go. Modelled on swift-log's LogHandler: small, many backends, chosen by the caller.
public protocol AlertSink: Sendable {
    func emit(_ alert: Alert)
    /// Waits until everything emitted so far has been written or given up on.
    func flush() async
    /// Alerts this sink failed to write (full disk, closed pipe). The CLI exits non-zero when any did.
    var writeFailures: UInt64 { get }
    /// The first failed write, naming the output, or nil.
    var firstWriteError: String? { get }
}

extension AlertSink {
    public func flush() async {}
    public var writeFailures: UInt64 { 0 }
    public var firstWriteError: String? { nil }
}
