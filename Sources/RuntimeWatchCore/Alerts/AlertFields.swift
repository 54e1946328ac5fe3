// SPDX-License-Identifier: Apache-2.0
// An alert's `output_fields`: name → value, kept sorted by the names' UTF-8 bytes (the order the
// JSON line writes them in, as JSONEncoder's `.sortedKeys` did). A dictionary had to be sorted
// again for every alert written (issue 17: about 40 names per alert, every alert); kept in order,
// the writer walks the fields as they are and a lookup is a binary search over a few dozen names.
// Names are told apart by their bytes, as JSON tells keys apart (a Swift dictionary compared them
// canonically, so "é" and "e\u{301}" were one key; Falco's names are ASCII either way).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public struct AlertFields: Sendable, Hashable {
    /// One field. Kept in one array (not names and values apart): one allocation per alert.
    struct Entry: Sendable, Hashable {
        var name: String
        var value: FieldValue
    }

    /// The fields in UTF-8 byte order of their names, no name twice.
    private var entries: [Entry] = []

    public init() {}

    /// The fields of `dictionary` (an alert read back from JSON, a test's fixture).
    public init(_ dictionary: [String: FieldValue]) {
        reserveCapacity(dictionary.count)
        for (name, value) in dictionary { self[name] = value }
    }

    public mutating func reserveCapacity(_ n: Int) { entries.reserveCapacity(n) }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    /// The names, sorted.
    public var keys: [String] { entries.map(\.name) }
    /// The values, in the order of their names.
    public var values: [FieldValue] { entries.map(\.value) }

    /// The value of `name`, nil when absent. Setting nil removes the field.
    public subscript(name: String) -> FieldValue? {
        get {
            let (index, found) = position(of: name)
            return found ? entries[index].value : nil
        }
        set {
            // A field set after every name it follows (often so) is an append: check the end first.
            if let last = entries.last, Self.order(last.name, name) < 0 {
                if let newValue { entries.append(Entry(name: name, value: newValue)) }
                return
            }
            let (index, found) = position(of: name)
            switch (found, newValue) {
            case (true, let value?): entries[index].value = value
            case (true, nil): entries.remove(at: index)
            case (false, let value?): entries.insert(Entry(name: name, value: value), at: index)
            case (false, nil): break
            }
        }
    }

    /// These fields with `other`'s added; `combine` picks the value of a name both hold.
    public func merging(_ other: AlertFields, uniquingKeysWith combine: (FieldValue, FieldValue) -> FieldValue) -> AlertFields {
        var merged = self
        for (name, value) in other { merged[name] = merged[name].map { combine($0, value) } ?? value }
        return merged
    }

    /// Where `name` is, or where it would be inserted to keep the order.
    private func position(of name: String) -> (index: Int, found: Bool) {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            let c = Self.order(entries[mid].name, name)
            if c == 0 { return (mid, true) }
            if c < 0 { low = mid + 1 } else { high = mid }
        }
        return (low, false)
    }

    /// Compares UTF-8 bytes (negative, zero, positive), the order JSONEncoder's `.sortedKeys`
    /// used for these ASCII names and any other.
    static func order(_ a: String, _ b: String) -> Int {
        if let c = a.utf8.withContiguousStorageIfAvailable({ x in
            b.utf8.withContiguousStorageIfAvailable { y in Self.order(x, y) }
        }), let c { return c }
        // Bridged or otherwise non-contiguous strings (never from our builders).
        if a.utf8.elementsEqual(b.utf8) { return 0 }
        return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
    }

    private static func order(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Int {
        let n = Swift.min(x.count, y.count)
        if n > 0, let xs = x.baseAddress, let ys = y.baseAddress {
            let c = Int(memcmp(xs, ys, n))
            if c != 0 { return c }
        }
        return x.count - y.count
    }
}

extension AlertFields: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, FieldValue)...) {
        reserveCapacity(elements.count)
        for (name, value) in elements { self[name] = value }
    }
}

extension AlertFields: Sequence {
    /// The fields in name order.
    public struct Iterator: IteratorProtocol {
        fileprivate var base: IndexingIterator<[Entry]>
        public mutating func next() -> (String, FieldValue)? {
            base.next().map { ($0.name, $0.value) }
        }
    }

    public func makeIterator() -> Iterator { Iterator(base: entries.makeIterator()) }
    public var underestimatedCount: Int { entries.count }

    /// The fields in name order, borrowed where they are stored: the JSON writer reads each name and
    /// value without copying them out (an iterator's tuples cost a retain and a release each).
    func withEntries<R>(_ body: (UnsafeBufferPointer<Entry>) -> R) -> R {
        entries.withUnsafeBufferPointer(body)
    }
}

extension AlertFields: Decodable {
    public init(from decoder: Decoder) throws {
        self.init(try [String: FieldValue](from: decoder))
    }
}

extension AlertFields: CustomStringConvertible {
    public var description: String {
        "[" + entries.map { "\"\($0.name)\": \($0.value)" }.joined(separator: ", ") + "]"
    }
}
