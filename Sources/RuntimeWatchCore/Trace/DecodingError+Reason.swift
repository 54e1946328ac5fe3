// SPDX-License-Identifier: Apache-2.0
// Turns a decoding failure into the one-line reason a malformed-line report shows, naming the
// field by its JSON path (`fds[0].inode`) instead of Swift's CodingKey dump.

/// A short reason for why a line did not decode.
/// Never shows Swift or Foundation internals (`FoundationEssentials.JSONError…`): a person reads it.
/// - Parameters:
///   - line: the line's bytes, scanned for the position of a syntax error when the decoder only
///     says "not valid JSON".
///   - stillFails: decodes a variant of the line, true when it still fails as "not valid JSON";
///     lets `JSONValueExplainer` confirm which number does not fit its field.
func traceDecodingReason(_ error: any Error, line: UnsafeRawBufferPointer? = nil,
                         stillFails: (([UInt8]) -> Bool)? = nil) -> String {
    if let traceError = error as? TraceError { return traceError.description }
    guard let decoding = error as? DecodingError else { return foundationErrorReason(error) }
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
            // Syntax is fine: too deep, half a surrogate pair, or a number its field cannot hold.
            if let reason = JSONValueExplainer.reason(line, stillFails: stillFails) { return reason }
            return "a value does not fit its field (a number out of range, or fractional where an integer is expected)"
        }
        return "field \"\(jsonPath(context.codingPath))\": \(readable(context.debugDescription))"
    @unknown default:
        return "not valid JSON"
    }
}

/// Foundation's own sentences are kept; a dump of its internal error types is not.
private func readable(_ description: String) -> String {
    let internals = ["FoundationEssentials", "JSONError", "location:", "Swift."]
    return internals.contains(where: description.contains) ? "not valid JSON (bad UTF-8 or a bad escape in a string)" : description
}

/// Foundation throws its internal `JSONError` as is when a string read lazily (inside a value
/// decoded by hand) is bad. Its case names are mapped to words, its column kept, the rest dropped.
private func foundationErrorReason(_ error: any Error) -> String {
    let dump = "\(error)"
    let known: [(String, String)] = [
        ("unescapedControlCharacterInString", "a control character in a string"),
        ("cannotConvertInputStringDataToUTF8", "a string that is not valid UTF-8"),
        ("expectedLowSurrogateUTF8SequenceAfterHighSurrogate", "a \\u escape that is half of a UTF-16 surrogate pair"),
        ("couldNotCreateUnicodeScalarFromUInt32", "a \\u escape that is not a character"),
        ("invalidEscapedSequence", "a bad escape in a string"),
        ("numberIsNotRepresentableInSwift", "a number out of range for its field"),
        ("tooManyNestedArraysOrDictionaries", "nesting deeper than \(JSONValueExplainer.maxDepth) levels"),
        ("unexpectedEndOfFile", "an unexpected end of the text"),
        ("unexpectedCharacter", "an unexpected character"),
    ]
    guard let (_, words) = known.first(where: { dump.hasPrefix($0.0) }) else { return "not valid JSON" }
    var column = ""
    if let range = dump.range(of: "column: ") {
        let digits = dump[range.upperBound...].prefix(while: \.isNumber)
        if !digits.isEmpty { column = " at column \(digits)" }
    }
    return "not valid JSON: \(words)\(column)"
}

/// True when `error` is the decoder's field-less "not valid JSON" (what `stillFails` looks for).
func isFieldlessDataCorrupted(_ error: any Error) -> Bool {
    if case DecodingError.dataCorrupted(let context)? = error as? DecodingError { return context.codingPath.isEmpty }
    return false
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
