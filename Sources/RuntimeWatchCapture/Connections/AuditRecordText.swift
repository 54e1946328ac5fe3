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

/// Which fields a decode keeps. The connect assembler reads ten of a connect SYSCALL record's 26,
/// one of a SOCKADDR's and none of an EOE's: a String pair and a dictionary slot for each of the
/// others was 5% of the connect storm (BENCHMARKS section 15).
public struct AuditFieldSelection: Sendable {
    /// Key bytes kept; nil keeps every field.
    fileprivate let names: [[UInt8]]?

    /// Every field.
    public static let all = AuditFieldSelection(names: nil)

    /// Only the fields named (none, for an empty list: the stamp alone).
    public static func only(_ names: [String]) -> AuditFieldSelection {
        AuditFieldSelection(names: names.map { Array($0.utf8) })
    }

    fileprivate func keeps(_ key: UnsafeBufferPointer<UInt8>.SubSequence) -> Bool {
        guard let names else { return true }
        return names.contains { $0.count == key.count && $0.elementsEqual(key) }
    }
}

/// The `audit(<sec>.<ms>:<serial>):` stamp every record of one event shares.
public struct AuditStamp: Sendable, Hashable {
    /// Wall-clock seconds of the event.
    public var seconds: UInt64
    /// Milliseconds part (0…999).
    public var milliseconds: UInt32
    /// Event serial: every record of one event carries the same one.
    public var serial: UInt64

    /// Wall-clock nanoseconds since the Unix epoch.
    public var timestampNanoseconds: UInt64 { seconds &* 1_000_000_000 &+ UInt64(milliseconds) &* 1_000_000 }

    /// Reads the stamp at the start of `bytes`.
    /// - Returns: the stamp and where the fields begin (after `):`).
    /// - Throws: `AuditRecordError` (naming `text`) when the stamp is missing or malformed.
    static func read(_ bytes: UnsafeBufferPointer<UInt8>, text: String) throws(AuditRecordError) -> (stamp: AuditStamp, fieldsStart: Int) {
        let prefix: StaticString = "audit("
        let prefixCount = prefix.utf8CodeUnitCount
        guard bytes.count > prefixCount, UnsafeBufferPointer(start: prefix.utf8Start, count: prefixCount).elementsEqual(bytes[0..<prefixCount]) else {
            throw AuditRecordError(reason: "does not start with \"audit(\"", text: text)
        }
        var i = prefixCount
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
        let seconds = try number("seconds", maxDigits: 12)
        try expect(0x2E, "'.'")
        let ms = try number("milliseconds", maxDigits: 3)
        try expect(0x3A, "':'")
        let serial = try number("serial", maxDigits: 19)
        try expect(0x29, "')'")
        try expect(0x3A, "':'")
        return (AuditStamp(seconds: seconds, milliseconds: UInt32(ms), serial: serial), i)
    }
}

/// A decoded audit record: the event stamp shared by all records of one event, and its fields.
public struct AuditRecordText: Sendable, Hashable {
    public var stamp: AuditStamp
    /// The fields the decode kept (see `AuditFieldSelection`); quoted values are unquoted.
    /// Duplicate keys keep the first.
    public var fields: [String: String]

    public var seconds: UInt64 { stamp.seconds }
    public var milliseconds: UInt32 { stamp.milliseconds }
    public var serial: UInt64 { stamp.serial }
    public var timestampNanoseconds: UInt64 { stamp.timestampNanoseconds }

    /// Decodes `text`, keeping the fields `selection` names.
    /// - Parameter keepingQuotes: true leaves a quoted value's quotes on it, for a reader to whom
    ///   quoting means something (an EXECVE argument is either `"plain"` or hex; `AuditExecveParser`).
    /// - Throws: `AuditRecordError` when the `audit(…):` stamp is missing or malformed.
    public init(parsing text: String, keeping selection: AuditFieldSelection = .all, keepingQuotes: Bool = false) throws(AuditRecordError) {
        self = try Self.reading(text) { (bytes, stamp, fieldsStart) in
            AuditRecordText(stamp: stamp, fields: Self.fields(bytes[fieldsStart...], keeping: selection, keepingQuotes: keepingQuotes))
        }
    }

    private init(stamp: AuditStamp, fields: [String: String]) {
        self.stamp = stamp; self.fields = fields
    }

    /// Runs `body` on the bytes of `text` (read in place: a String received from netlink is native
    /// UTF-8), its stamp and where its fields begin.
    /// - Throws: `AuditRecordError` when the stamp is missing or malformed.
    static func reading<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>, AuditStamp, Int) -> R) throws(AuditRecordError) -> R {
        func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<R, AuditRecordError> {
            Result { () throws(AuditRecordError) in
                let (stamp, fieldsStart) = try AuditStamp.read(bytes, text: text)
                return body(bytes, stamp, fieldsStart)
            }
        }
        let decoded = text.utf8.withContiguousStorageIfAvailable(decode) ?? Array(text.utf8).withUnsafeBufferPointer(decode)
        return try decoded.get()
    }

    /// Splits `key=value` pairs separated by spaces and hands each to `body` in order; `"…"`
    /// values may contain spaces and lose their quotes unless `keepingQuotes`. A token without `=`,
    /// or with an empty key, is skipped (the kernel writes none; other producers might).
    static func forEachField(_ bytes: UnsafeBufferPointer<UInt8>.SubSequence, keepingQuotes: Bool = false,
                             _ body: (_ key: UnsafeBufferPointer<UInt8>.SubSequence, _ value: UnsafeBufferPointer<UInt8>.SubSequence) -> Void) {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            while i < end, bytes[i] == 0x20 { i += 1 }
            let keyStart = i
            while i < end, bytes[i] != 0x3D, bytes[i] != 0x20 { i += 1 }
            guard i < end, bytes[i] == 0x3D else { continue }
            let key = bytes[keyStart..<i]
            i += 1
            let valueRange: Range<Int>
            if i < end, bytes[i] == 0x22 {
                let valueStart = i + 1
                var j = valueStart
                while j < end, bytes[j] != 0x22 { j += 1 }
                // Kept quotes are both kept, or only the opening one when the value is unterminated.
                valueRange = keepingQuotes ? (valueStart - 1)..<min(j + 1, end) : valueStart..<j
                i = j < end ? j + 1 : end
            } else {
                let valueStart = i
                while i < end, bytes[i] != 0x20 { i += 1 }
                valueRange = valueStart..<i
            }
            if !key.isEmpty { body(key, bytes[valueRange]) }
        }
    }

    /// The fields `selection` keeps, by name (`forEachField`). Only the keys kept become Strings.
    static func fields(_ bytes: UnsafeBufferPointer<UInt8>.SubSequence, keeping selection: AuditFieldSelection,
                       keepingQuotes: Bool = false) -> [String: String] {
        // Nothing to keep (the stamp alone): the pairs need not be walked.
        if selection.names?.isEmpty == true { return [:] }
        // Sized once: growing a dictionary through 1, 2, 4, 8 and 16 slots rehashes at each step
        // (most of this function's time in the connect storm before it was sized).
        var result: [String: String] = [:]
        result.reserveCapacity(selection.names?.count ?? 32)
        forEachField(bytes, keepingQuotes: keepingQuotes) { key, value in
            guard selection.keeps(key) else { return }
            let name = String(decoding: key, as: UTF8.self)
            if result[name] == nil { result[name] = String(decoding: value, as: UTF8.self) }
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
