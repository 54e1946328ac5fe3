// SPDX-License-Identifier: Apache-2.0
// Where each item of an EventList's `items` array lies in the body, found by a byte scan that only
// follows strings and bracket depth (a counter, no recursion, no depth limit). JSONDecoder refuses a
// whole body when one item is nested past its limit (512 levels): with the items' ranges, each is
// decoded on its own, so one hostile item is skipped alone and its siblings are kept.

enum EventListItems {
    /// The byte ranges of the elements of the top-level object's `items` array, or nil when the
    /// bytes are not an object with such an array (or are cut short).
    static func ranges(in bytes: [UInt8]) -> [Range<Int>]? {
        var i = 0
        let n = bytes.count
        func skipSpace() { while i < n, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 } }
        /// Moves past a string starting at `i` (a quote); false when it never ends.
        func skipString() -> Bool {
            i += 1
            while i < n {
                if bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
                if bytes[i] == UInt8(ascii: "\"") { i += 1; return true }
                i += 1
            }
            return false
        }
        /// Moves past one value starting at `i`; false when it never ends.
        func skipValue() -> Bool {
            var depth = 0
            repeat {
                guard i < n else { return false }
                switch bytes[i] {
                case UInt8(ascii: "\""): guard skipString() else { return false }; continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return true }   // the end of the enclosing container: a scalar ended
                    depth -= 1
                case UInt8(ascii: ","): if depth == 0 { return true }
                default: break
                }
                i += 1
            } while depth > 0
            return true
        }
        skipSpace()
        guard i < n, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        while true {
            skipSpace()
            guard i < n, bytes[i] == UInt8(ascii: "\"") else { return nil }
            let keyStart = i + 1
            guard skipString() else { return nil }
            let isItems = bytes[keyStart..<(i - 1)].elementsEqual("items".utf8)
            skipSpace()
            guard i < n, bytes[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            if isItems {
                guard i < n, bytes[i] == UInt8(ascii: "[") else { return nil }
                i += 1
                var ranges: [Range<Int>] = []
                skipSpace()
                if i < n, bytes[i] == UInt8(ascii: "]") { return ranges }
                while true {
                    skipSpace()
                    let start = i
                    guard skipValue() else { return nil }
                    var end = i
                    while end > start, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[end - 1]) { end -= 1 }
                    ranges.append(start..<end)
                    skipSpace()
                    guard i < n else { return nil }
                    if bytes[i] == UInt8(ascii: "]") { return ranges }
                    guard bytes[i] == UInt8(ascii: ",") else { return nil }
                    i += 1
                }
            }
            guard skipValue() else { return nil }
            skipSpace()
            guard i < n else { return nil }
            if bytes[i] == UInt8(ascii: "}") { return nil }
            guard bytes[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
    }
}
