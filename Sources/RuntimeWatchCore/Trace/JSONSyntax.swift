// SPDX-License-Identifier: Apache-2.0
// Finds where a line stops being JSON, for malformed-line reports. Foundation's JSONDecoder on Linux
// reports every failure below the type level (bad syntax, a negative number for an unsigned
// field, 1.5 for an integer) as "The given data was not valid JSON." with no position, which
// tells a fixture author nothing. This scanner runs only on lines that already failed.

enum JSONSyntax {
    /// The first syntax error in `bytes`, which should hold exactly one JSON value.
    /// - Returns: nil when the bytes are valid JSON (syntax and UTF-8 in strings), else the byte
    ///   offset and what was wrong there. Iterative: nesting depth cannot exhaust the stack.
    static func firstError(in bytes: UnsafeRawBufferPointer) -> (offset: Int, message: String)? {
        var scanner = Scanner(bytes: bytes)
        return scanner.run()
    }

    private struct Scanner {
        enum Expect { case value, valueOrArrayEnd, key, keyOrObjectEnd, colon, commaOrEnd, nothing }

        let bytes: UnsafeRawBufferPointer
        var i = 0
        var stack: [UInt8] = []

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func run() -> (offset: Int, message: String)? {
            var expect = Expect.value
            while true {
                while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
                guard i < bytes.count else {
                    return expect == .nothing ? nil : (i, "unexpected end of line")
                }
                let c = bytes[i]
                switch expect {
                case .value, .valueOrArrayEnd:
                    if expect == .valueOrArrayEnd && c == UInt8(ascii: "]") {
                        i += 1
                        stack.removeLast()
                        expect = afterValue
                        continue
                    }
                    if let error = scanValue(c, expect: &expect) { return error }
                case .key, .keyOrObjectEnd:
                    if expect == .keyOrObjectEnd && c == UInt8(ascii: "}") {
                        i += 1
                        stack.removeLast()
                        expect = afterValue
                    } else if c == UInt8(ascii: "\"") {
                        if let error = scanString() { return error }
                        expect = .colon
                    } else {
                        return (i, "expected a field name in double quotes")
                    }
                case .colon:
                    guard c == UInt8(ascii: ":") else { return (i, "expected ':' after the field name") }
                    i += 1
                    expect = .value
                case .commaOrEnd:
                    let open = stack.last!
                    if c == UInt8(ascii: ",") {
                        i += 1
                        expect = open == UInt8(ascii: "{") ? .key : .value
                    } else if c == (open == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        i += 1
                        stack.removeLast()
                        expect = afterValue
                    } else {
                        return (i, open == UInt8(ascii: "{") ? "expected ',' or '}'" : "expected ',' or ']'")
                    }
                case .nothing:
                    return (i, "unexpected text after the JSON value")
                }
            }
        }

        var afterValue: Expect { stack.isEmpty ? .nothing : .commaOrEnd }

        mutating func scanValue(_ c: UInt8, expect: inout Expect) -> (offset: Int, message: String)? {
            switch c {
            case UInt8(ascii: "{"):
                stack.append(c); i += 1; expect = .keyOrObjectEnd
            case UInt8(ascii: "["):
                stack.append(c); i += 1; expect = .valueOrArrayEnd
            case UInt8(ascii: "\""):
                if let error = scanString() { return error }
                expect = afterValue
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if let error = scanNumber() { return error }
                expect = afterValue
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                let word = c == UInt8(ascii: "t") ? "true" : c == UInt8(ascii: "f") ? "false" : "null"
                guard bytes.count - i >= word.utf8.count,
                      bytes[i..<i + word.utf8.count].elementsEqual(word.utf8) else { return (i, "unexpected word") }
                i += word.utf8.count
                expect = afterValue
            default:
                return (i, "unexpected character")
            }
            return nil
        }

        mutating func scanString() -> (offset: Int, message: String)? {
            let start = i
            i += 1
            while i < bytes.count {
                let c = bytes[i]
                switch c {
                case UInt8(ascii: "\""):
                    i += 1
                    return nil
                case UInt8(ascii: "\\"):
                    guard i + 1 < bytes.count else { return (start, "unterminated string") }
                    let e = bytes[i + 1]
                    if e == UInt8(ascii: "u") {
                        guard i + 6 <= bytes.count, bytes[i + 2..<i + 6].allSatisfy(isHexDigit) else { return (i, "bad \\u escape") }
                        i += 6
                    } else {
                        guard "\"\\/bfnrt".utf8.contains(e) else { return (i, "bad escape in string") }
                        i += 2
                    }
                case 0..<0x20:
                    return (i, "control character in string")
                case 0x80...:
                    guard let length = utf8SequenceLength(at: i) else { return (i, "invalid UTF-8 in string") }
                    i += length
                default:
                    i += 1
                }
            }
            return (start, "unterminated string")
        }

        mutating func scanNumber() -> (offset: Int, message: String)? {
            let start = i
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, isDigit(bytes[i]) else { return (start, "malformed number") }
            if bytes[i] == UInt8(ascii: "0") { i += 1 } else { while i < bytes.count, isDigit(bytes[i]) { i += 1 } }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                guard i < bytes.count, isDigit(bytes[i]) else { return (start, "malformed number") }
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard i < bytes.count, isDigit(bytes[i]) else { return (start, "malformed number") }
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            return nil
        }

        /// Length of the well-formed UTF-8 sequence starting at `at`, or nil.
        func utf8SequenceLength(at index: Int) -> Int? {
            let lead = bytes[index]
            let (length, minimum): (Int, UInt32)
            switch lead {
            case 0xC2...0xDF: (length, minimum) = (2, 0x80)
            case 0xE0...0xEF: (length, minimum) = (3, 0x800)
            case 0xF0...0xF4: (length, minimum) = (4, 0x10000)
            default: return nil
            }
            guard index + length <= bytes.count else { return nil }
            var scalar = UInt32(lead) & (0xFF >> (length + 1))
            for k in 1..<length {
                let b = bytes[index + k]
                guard b & 0xC0 == 0x80 else { return nil }
                scalar = scalar << 6 | UInt32(b & 0x3F)
            }
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return nil }
            return length
        }

        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        func isHexDigit(_ b: UInt8) -> Bool {
            isDigit(b) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F"))
        }
    }
}
