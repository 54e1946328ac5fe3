// SPDX-License-Identifier: Apache-2.0
// Everything that can go wrong reading or writing a trace, as a domain error that names where and
// why. Core never surfaces errno: I/O failures carry the system's message as text.

public enum TraceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A line that is not a valid event record (1-based line number, header included). Delivered
    /// to the reader's issue handler, counted, and skipped; reading goes on.
    case malformedLine(number: Int, reason: String)
    /// Warning delivered to the issue handler: the trace starts with an event, not a header
    /// (a hand-written fixture or a filtered trace). Reading goes on.
    case missingHeader
    /// The first line is a header (it has "format") but a field is missing or wrong.
    case malformedHeader(reason: String)
    /// The header names another format.
    case unsupportedFormat(String)
    /// The header's version is one this build cannot read.
    case unsupportedVersion(Int)
    /// The first non-empty line is not a JSON object: this is not a trace.
    case notATrace(reason: String)
    case cannotOpen(path: String, reason: String)
    case readFailed(source: String, reason: String)
    case writeFailed(destination: String, reason: String)
    /// The writer refused a record whose line the reader would refuse (longer than `limit`).
    case recordTooLong(bytes: Int, limit: Int)

    /// True for issues that do not stop reading (`malformedLine`, `missingHeader`).
    public var isRecoverable: Bool {
        switch self {
        case .malformedLine, .missingHeader: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .malformedLine(let number, let reason): "line \(number): \(reason)"
        case .missingHeader: "trace has no header line; reading it as version \(TraceHeader.currentVersion)"
        case .malformedHeader(let reason): "malformed trace header: \(reason)"
        case .unsupportedFormat(let format):
            "not a runtime-watch trace: header format is \"\(format)\", expected \"\(TraceHeader.formatName)\""
        case .unsupportedVersion(let version):
            "unsupported trace version \(version); this build reads version \(TraceHeader.currentVersion)"
        case .notATrace(let reason): "not a runtime-watch trace: \(reason)"
        case .cannotOpen(let path, let reason): "cannot open \(path): \(reason)"
        case .readFailed(let source, let reason): "reading \(source) failed: \(reason)"
        case .writeFailed(let destination, let reason): "writing \(destination) failed: \(reason)"
        case .recordTooLong(let bytes, let limit): "record encodes to \(bytes) bytes, over the \(limit)-byte line limit"
        }
    }
}
