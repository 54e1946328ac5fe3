// SPDX-License-Identifier: Apache-2.0
// Turns a decoding failure into the one-line reason a malformed-line report shows, naming the
// field by its JSON path (`fds[0].inode`) instead of Swift's CodingKey dump.

/// A short reason for why a line did not decode.
/// - Parameter line: the line's bytes, scanned for the position of a syntax error when the
///   decoder only says "not valid JSON".
func traceDecodingReason(_ error: any Error, line: UnsafeRawBufferPointer? = nil) -> String {
    if let traceError = error as? TraceError { return traceError.description }
    guard let decoding = error as? DecodingError else { return "\(error)" }
    switch decoding {
    case .keyNotFound(let key, let context):
        return "missing field \"\(jsonPath(context.codingPath + [key]))\""
    case .valueNotFound(let type, let context):
        return "field \"\(jsonPath(context.codingPath))\" is null, expected \(typeName(type))"
    case .typeMismatch(let type, let context):
        if context.codingPath.isEmpty { return "not a JSON object" }
        return "field \"\(jsonPath(context.codingPath))\" has the wrong type, expected \(typeName(type))"
    case .dataCorrupted(let context):
        if context.codingPath.isEmpty {
            guard let line else { return "not valid JSON" }
            if let syntax = JSONSyntax.firstError(in: line) {
                return "not valid JSON: \(syntax.message) at column \(syntax.offset + 1)"
            }
            // Syntax is fine: Foundation says "not valid JSON" for a number its field cannot hold.
            return "a value does not fit its field (a number out of range, or fractional where an integer is expected)"
        }
        return "field \"\(jsonPath(context.codingPath))\": \(context.debugDescription)"
    @unknown default:
        return "\(decoding)"
    }
}

private func jsonPath(_ path: [any CodingKey]) -> String {
    var out = ""
    for key in path {
        if let index = key.intValue { out += "[\(index)]" } else { out += out.isEmpty ? key.stringValue : "." + key.stringValue }
    }
    return out
}

private func typeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Bool.Type: "a boolean"
    case is Int.Type, is Int32.Type, is Int64.Type, is UInt16.Type, is UInt32.Type, is UInt64.Type: "an integer"
    case is Double.Type, is Float.Type: "a number"
    default: "\(type)"
    }
}
