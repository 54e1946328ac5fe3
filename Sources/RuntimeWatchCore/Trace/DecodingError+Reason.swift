// SPDX-License-Identifier: Apache-2.0
// Turns a decoding failure into the one-line reason a malformed-line report shows, naming the
// field by its JSON path (`fds[0].inode`) instead of Swift's CodingKey dump.

import Foundation

/// A short reason for why a line did not decode.
func traceDecodingReason(_ error: any Error) -> String {
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
            let detail = context.underlyingError.map { " (\(underlyingDescription($0)))" } ?? ""
            return "not valid JSON\(detail)"
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

private func underlyingDescription(_ error: any Error) -> String {
    // Foundation's JSON errors carry their message in userInfo; `localizedDescription` would pull
    // in localisation for nothing.
    let text = "\(error)"
    if let range = text.range(of: "NSDebugDescription=") {
        return String(text[range.upperBound...].prefix { $0 != "," && $0 != "}" })
    }
    return text
}
