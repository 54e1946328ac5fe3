// SPDX-License-Identifier: Apache-2.0
// Alerts appended to a file, JSON lines or text. `reopen()` is for SIGHUP after logrotate renamed the
// file: it closes the old descriptor and opens (creating) the path again, so later alerts land in the
// new file. If the file cannot be (re)opened, alerts are counted as failed and the next emit retries.

import Foundation

public final class FileSink: AlertSink, @unchecked Sendable {
    public enum Format: Sendable { case json, text }

    public let path: String
    public let format: Format
    private let writer: LineWriter
    private let openLock = NSLock()

    /// Opens `path` for appending, creating it with mode 0640 if missing.
    /// - Throws: `FileSinkError` if the file cannot be opened.
    public init(path: String, format: Format = .json) throws(FileSinkError) {
        self.path = path
        self.format = format
        writer = LineWriter(handle: try Self.open(path), name: path)
    }

    public func emit(_ alert: Alert) {
        if !writer.isOpen { try? reopen() }
        switch format {
        case .json: writer.write { alert.appendJSONLine(to: &$0) }
        case .text: writer.write(HumanSink.line(for: alert, colour: false))
        }
    }

    /// Closes the current descriptor and opens `path` again (logrotate's `create` or `copytruncate`-free
    /// rotation). Safe to call from any thread while alerts are being written.
    /// - Throws: `FileSinkError` if the path cannot be opened; alerts are then counted as failed until
    ///   a later emit or reopen succeeds.
    public func reopen() throws(FileSinkError) {
        openLock.lock()
        defer { openLock.unlock() }
        do {
            writer.swap(try Self.open(path))
        } catch {
            writer.swap(nil)
            throw error
        }
    }

    public func flush() async { writer.synchronize() }

    /// Lines that could not be written.
    public var writeFailures: UInt64 { writer.failureCount }
    /// The first failed write ("writing alerts to PATH failed: …"), or nil.
    public var firstWriteError: String? { writer.firstFailure }

    private static func open(_ path: String) throws(FileSinkError) -> FileHandle {
        let fd = Foundation.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw FileSinkError(path: path, errno: errno) }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }
}

/// The alert file could not be opened.
public struct FileSinkError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var description: String { "cannot open alert file \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
}
