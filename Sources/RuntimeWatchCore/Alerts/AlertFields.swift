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
    /// Names in UTF-8 byte order, no duplicates; `values[i]` belongs to `names[i]`.
    public private(set) var names: [String] = []
    public private(set) var values: [FieldValue] = []

    public init() {}

    /// The fields of `dictionary` (an alert read back from JSON, a test's fixture).
    public init(_ dictionary: [String: FieldValue]) {
        reserveCapacity(dictionary.count)
        for (name, value) in dictionary { self[name] = value }
    }

    public mutating func reserveCapacity(_ n: Int) {
        names.reserveCapacity(n)
        values.reserveCapacity(n)
    }

    public var count: Int { names.count }
    public var isEmpty: Bool { names.isEmpty }
    /// The names, sorted.
    public var keys: [String] { names }

    /// The value of `name`, nil when absent. Setting nil removes the field.
    public subscript(name: String) -> FieldValue? {
        get {
            let (index, found) = position(of: name)
            return found ? values[index] : nil
        }
        set {
            // Fields are mostly set in name order by the builders: check the end first.
            if let last = names.last, Self.order(last, name) < 0 {
                if let newValue { names.append(name); values.append(newValue) }
                return
            }
            let (index, found) = position(of: name)
            switch (found, newValue) {
            case (true, let value?): values[index] = value
            case (true, nil): names.remove(at: index); values.remove(at: index)
            case (false, let value?): names.insert(name, at: index); values.insert(value, at: index)
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
        var low = 0, high = names.count
        while low < high {
            let mid = (low + high) / 2
            let c = Self.order(names[mid], name)
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
    public func makeIterator() -> Zip2Sequence<[String], [FieldValue]>.Iterator {
        zip(names, values).makeIterator()
    }
}

extension AlertFields: Decodable {
    public init(from decoder: Decoder) throws {
        self.init(try [String: FieldValue](from: decoder))
    }
}

extension AlertFields: CustomStringConvertible {
    public var description: String {
        "[" + zip(names, values).map { "\"\($0)\": \($1)" }.joined(separator: ", ") + "]"
    }
}
