// SPDX-License-Identifier: Apache-2.0
// Pure decoding of one audit record's text, `audit(<sec>.<ms>:<serial>): key=value key="quoted" …`,
// as the kernel sends it on netlink (no `type=` prefix: the type travels in the netlink header).

/// Why a record's text could not be decoded. Names the record and the reason.
public struct AuditRecordError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var text: String
    public init(reason: String, text: String) { self.reason = reason; self.text = text }
    public var description: String { "audit record \(String(text.prefix(120)).debugDescription): \(reason)" }
}

/// A decoded audit record: the event stamp shared by all records of one event, and its fields.
public struct AuditRecordText: Sendable, Hashable {
    /// Wall-clock seconds of the event.
    public var seconds: UInt64
    /// Milliseconds part (0…999).
    public var milliseconds: UInt32
    /// Event serial: every record of one event carries the same one.
    public var serial: UInt64
    /// Fields in order of appearance; quoted values are unquoted. Duplicate keys keep the first.
    public var fields: [String: String]

    /// Wall-clock nanoseconds since the Unix epoch.
    public var timestampNanoseconds: UInt64 { seconds &* 1_000_000_000 &+ UInt64(milliseconds) &* 1_000_000 }

    /// Decodes `text`.
    /// - Throws: `AuditRecordError` when the `audit(…):` stamp is missing or malformed.
    public init(parsing text: String) throws(AuditRecordError) {
        let bytes = Array(text.utf8)
        let prefix = Array("audit(".utf8)
        guard bytes.count > prefix.count, Array(bytes[0..<prefix.count]) == prefix else {
            throw AuditRecordError(reason: "does not start with \"audit(\"", text: text)
        }
        var i = prefix.count
        func number(_ what: String, maxDigits: Int) throws(AuditRecordError) -> UInt64 {
            var value: UInt64 = 0, digits = 0
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                guard digits < maxDigits else { throw AuditRecordError(reason: "\(what) has more than \(maxDigits) digits", text: text) }
                value = value * 10 + UInt64(bytes[i] - 0x30); digits += 1; i += 1
            }
            guard digits > 0 else { throw AuditRecordError(reason: "missing \(what) in the stamp", text: text) }
            return value
        }
        func expect(_ c: UInt8, _ what: String) throws(AuditRecordError) {
            guard i < bytes.count, bytes[i] == c else { throw AuditRecordError(reason: "expected \(what) in the stamp", text: text) }
            i += 1
        }
        seconds = try number("seconds", maxDigits: 12)
        try expect(0x2E, "'.'")
        let ms = try number("milliseconds", maxDigits: 3)
        milliseconds = UInt32(ms)
        try expect(0x3A, "':'")
        serial = try number("serial", maxDigits: 19)
        try expect(0x29, "')'")
        try expect(0x3A, "':'")
        fields = Self.fields(bytes[i...])
    }

    /// Splits `key=value` pairs separated by spaces; `"…"` values may contain spaces. A token
    /// without `=` is skipped (the kernel writes none; other producers might).
    static func fields(_ bytes: ArraySlice<UInt8>) -> [String: String] {
        var result: [String: String] = [:]
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            while i < end, bytes[i] == 0x20 { i += 1 }
            let keyStart = i
            while i < end, bytes[i] != 0x3D, bytes[i] != 0x20 { i += 1 }
            guard i < end, bytes[i] == 0x3D else { continue }
            let key = String(decoding: bytes[keyStart..<i], as: UTF8.self)
            i += 1
            let value: String
            if i < end, bytes[i] == 0x22 {
                let valueStart = i + 1
                var j = valueStart
                while j < end, bytes[j] != 0x22 { j += 1 }
                value = String(decoding: bytes[valueStart..<j], as: UTF8.self)
                i = j < end ? j + 1 : end
            } else {
                let valueStart = i
                while i < end, bytes[i] != 0x20 { i += 1 }
                value = String(decoding: bytes[valueStart..<i], as: UTF8.self)
            }
            if result[key] == nil, !key.isEmpty { result[key] = value }
        }
        return result
    }
}

/// Audit record types capture uses (`linux/audit.h`).
public enum AuditRecordType {
    /// The corresponding C constant is `AUDIT_SYSCALL`.
    public static let syscall: UInt16 = 1300
    /// The corresponding C constant is `AUDIT_SOCKADDR`.
    public static let sockaddr: UInt16 = 1306
    /// The corresponding C constant is `AUDIT_EOE` (end of a multi-record event).
    public static let endOfEvent: UInt16 = 1320
    /// The corresponding C constant is `AUDIT_PROCTITLE`.
    public static let proctitle: UInt16 = 1327
}
