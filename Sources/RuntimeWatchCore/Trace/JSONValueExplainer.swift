// SPDX-License-Identifier: Apache-2.0
// Why a line whose JSON syntax is fine still did not decode. Foundation's JSONDecoder on Linux says
// "The given data was not valid JSON." with no field for three different things: nesting deeper
// than its limit, a `\u` escape that is half a surrogate pair, and a number its field cannot hold.
// This scan (run only on lines that already failed, and only after JSONSyntax found no error)
// tells them apart and names the place, as a JSON path (`fds[0].inode`) and a column.

enum JSONValueExplainer {
    /// Foundation's nesting limit: a value 513 objects or arrays deep is refused.
    static let maxDepth = 512
    /// At most this many numbers are tried one by one to find the one that does not fit.
    static let maxNumberProbes = 16

    /// The reason for a syntax-valid line that JSONDecoder refused as "not valid JSON".
    /// - Parameter stillFails: decodes a variant of the line and answers whether it still fails the
    ///   same way; with it, a number is named only once replacing it by 0 makes the failure go.
    static func reason(_ bytes: UnsafeRawBufferPointer, stillFails: (([UInt8]) -> Bool)? = nil) -> String? {
        var scan = Scan(bytes: bytes)
        scan.run()
        if let column = scan.tooDeepAt {
            return "nested more than \(maxDepth) levels deep at column \(column)"
        }
        if let (path, column) = scan.loneSurrogate {
            return "\(fieldName(path))a \\u escape at column \(column) is half of a UTF-16 surrogate pair, not a character"
        }
        // Suspicious numbers (negative, fractional, exponent, 10+ digits) first, then the rest.
        let ordered = scan.numbers.filter(\.suspicious) + scan.numbers.filter { !$0.suspicious }
        guard let stillFails else {
            return ordered.first(where: \.suspicious).map(numberReason)
        }
        for number in ordered.prefix(maxNumberProbes) {
            var variant = Array(bytes[..<number.range.lowerBound])
            variant.append(UInt8(ascii: "0"))
            variant.append(contentsOf: bytes[number.range.upperBound...])
            if !stillFails(variant) { return numberReason(number) }
        }
        return nil
    }

    private static func numberReason(_ number: Number) -> String {
        "\(fieldName(number.path))the number \(number.text) does not fit (out of range for the field, or fractional where an integer is expected)"
    }

    private static func fieldName(_ path: String) -> String { path.isEmpty ? "" : "field \"\(path)\": " }

    struct Number {
        var path: String
        var range: Range<Int>
        var text: String
        var suspicious: Bool
    }

    private enum Step { case key(String), index(Int) }

    /// One pass over bytes already known to be valid JSON syntax.
    private struct Scan {
        let bytes: UnsafeRawBufferPointer
        var stack: [Step] = []
        var expectingKey = false
        var numbers: [Number] = []
        var tooDeepAt: Int?
        var loneSurrogate: (String, Int)?
        /// Numbers recorded at most: enough to find the culprit, bounded on hostile lines.
        let maxNumbers = 4096

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var path: String {
            var out = ""
            for step in stack {
                switch step {
                case .index(let i): out += "[\(i)]"
                case .key(let k): out += out.isEmpty ? k : "." + k
                }
            }
            return out
        }

        mutating func run() {
            var i = 0
            while i < bytes.count {
                let c = bytes[i]
                switch c {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if stack.count >= JSONValueExplainer.maxDepth { tooDeepAt = i + 1; return }
                    stack.append(c == UInt8(ascii: "{") ? .key("") : .index(0))
                    expectingKey = c == UInt8(ascii: "{")
                    i += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if !stack.isEmpty { stack.removeLast() }
                    i += 1
                case UInt8(ascii: ","):
                    if case .index(let n)? = stack.last { stack[stack.count - 1] = .index(n + 1) } else { expectingKey = true }
                    i += 1
                case UInt8(ascii: "\""):
                    let end = stringEnd(from: i)
                    if expectingKey {
                        stack[stack.count - 1] = .key(String(decoding: bytes[(i + 1)..<(end - 1)], as: UTF8.self))
                        expectingKey = false
                    } else if loneSurrogate == nil, let column = firstLoneSurrogate(in: (i + 1)..<(end - 1)) {
                        loneSurrogate = (path, column)
                    }
                    i = end
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    let start = i
                    while i < bytes.count, "+-.eE0123456789".utf8.contains(bytes[i]) { i += 1 }
                    if numbers.count < maxNumbers {
                        let text = String(decoding: bytes[start..<i], as: UTF8.self)
                        let suspicious = text.contains { "-.eE".contains($0) } || text.count >= 10
                        numbers.append(Number(path: path, range: start..<i, text: text, suspicious: suspicious))
                    }
                default:
                    i += 1
                }
            }
        }

        /// The index just past the closing quote of the string opening at `start`.
        func stringEnd(from start: Int) -> Int {
            var i = start + 1
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
                if bytes[i] == UInt8(ascii: "\"") { return i + 1 }
                i += 1
            }
            return bytes.count
        }

        /// The 1-based column of the first `\u` escape in `range` that is an unpaired surrogate.
        func firstLoneSurrogate(in range: Range<Int>) -> Int? {
            var i = range.lowerBound
            while i < range.upperBound {
                guard bytes[i] == UInt8(ascii: "\\") else { i += 1; continue }
                guard let unit = escapedUnit(at: i) else { i += 2; continue }
                if (0xDC00...0xDFFF).contains(unit) { return i + 1 }
                if (0xD800...0xDBFF).contains(unit) {
                    guard let low = escapedUnit(at: i + 6), (0xDC00...0xDFFF).contains(low) else { return i + 1 }
                    i += 12
                    continue
                }
                i += 6
            }
            return nil
        }

        /// The UTF-16 unit of a `\uXXXX` escape at `i`, or nil when there is none.
        func escapedUnit(at i: Int) -> UInt16? {
            guard i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { return nil }
            return UInt16(String(decoding: bytes[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16)
        }
    }
}
