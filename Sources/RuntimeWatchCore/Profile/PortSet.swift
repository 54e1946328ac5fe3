// SPDX-License-Identifier: Apache-2.0
// Port lists for profile destinations: "443", "443,6443,8000-9000". Parsed once at load; matched per
// connect, so matching is a scan over a handful of ranges.

/// A set of TCP/UDP ports. Empty means "any port".
public struct PortSet: Sendable, Hashable, CustomStringConvertible {
    public private(set) var ranges: [ClosedRange<UInt16>]

    /// Any port.
    public static let any = PortSet(ranges: [])

    public init(ranges: [ClosedRange<UInt16>]) { self.ranges = ranges }

    /// Parses a comma-separated list of ports and `low-high` ranges (1...65535, low <= high).
    /// - Returns: the set, or a reason the text is not a valid port list.
    public static func parse(_ text: String) -> Result<PortSet, PortSetError> {
        var ranges: [ClosedRange<UInt16>] = []
        for rawItem in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = rawItem.trimmingSpaces
            guard !item.isEmpty else { return .failure(PortSetError(text: text, reason: "empty item in port list")) }
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
            guard bounds.count <= 2 else { return .failure(PortSetError(text: text, reason: "\"\(item)\" is not a port or low-high range")) }
            var numbers: [UInt16] = []
            for b in bounds {
                guard !b.isEmpty, b.utf8.count <= 5, b.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(b) else {
                    return .failure(PortSetError(text: text, reason: "\"\(item)\" is not a port or low-high range"))
                }
                guard (1...65535).contains(n) else {
                    return .failure(PortSetError(text: text, reason: "port \(n) is out of range 1-65535"))
                }
                numbers.append(UInt16(n))
            }
            let low = numbers[0], high = numbers.count == 2 ? numbers[1] : numbers[0]
            guard low <= high else {
                return .failure(PortSetError(text: text, reason: "range \(low)-\(high) has its low end above its high end"))
            }
            ranges.append(low...high)
        }
        return .success(PortSet(ranges: ranges))
    }

    /// True if the set is empty (any port) or one of its ranges holds `port`.
    public func contains(_ port: UInt16) -> Bool {
        if ranges.isEmpty { return true }
        for r in ranges where r.contains(port) { return true }
        return false
    }

    public var description: String {
        ranges.isEmpty ? "any" : ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
    }
}

/// Why a port list did not parse.
public struct PortSetError: Error, Sendable, Hashable {
    public var text: String
    public var reason: String
}

extension Substring {
    /// The substring without leading and trailing spaces and tabs.
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
