// SPDX-License-Identifier: Apache-2.0
// Bytes → audit events, in the three shapes the API server produces: the webhook backend POSTs an
// `EventList` ({"kind":"EventList","items":[…]}), the log backend writes one Event per line, and a
// single Event object is accepted too. A bad item is reported with its position and reason and
// skipped; the other items are kept.

import Foundation

/// Why one item (a list item or a log line) was not decoded, and where it was.
public struct AuditDecodeIssue: Error, Sendable, Hashable, CustomStringConvertible {
    /// `items[3]` for a list item, `line 12` for a log line, `body` for a whole document.
    public var position: String
    public var reason: String
    public init(position: String, reason: String) { self.position = position; self.reason = reason }
    public var description: String { "\(position): \(reason)" }
}

/// The events decoded from one input, and the items that were skipped.
public struct AuditDecodeResult: Sendable, Hashable {
    public var events: [AuditEvent] = []
    public var issues: [AuditDecodeIssue] = []
    public init(events: [AuditEvent] = [], issues: [AuditDecodeIssue] = []) { self.events = events; self.issues = issues }
}

public enum AuditEventDecoder {
    /// Decodes a document: an `EventList` or one Event.
    /// - Returns: the events and the per-item issues (`items[N]: reason`).
    /// - Throws: `AuditDecodeIssue` at `body` when the bytes are not a JSON object at all (the
    ///   webhook answers 400), or are an object that is neither an Event nor an EventList.
    public static func decodeDocument(_ bytes: [UInt8], position: String = "body") throws(AuditDecodeIssue) -> AuditDecodeResult {
        let data = Data(bytes)
        let decoder = JSONDecoder()
        let envelope: Envelope
        do {
            envelope = try decoder.decode(Envelope.self, from: data)
        } catch {
            // One item nested past the decoder's limit fails the whole body: decode item by item.
            if let items = EventListItems.ranges(in: bytes) { return decodeItems(items, of: bytes, position: position) }
            throw AuditDecodeIssue(position: position, reason: reason(error, bytes: bytes))
        }
        if envelope.kind == "EventList" || envelope.items != nil {
            let items = envelope.items ?? []
            // A failed item is decoded again from its own bytes, so its reason can name the field
            // and column (the list decoder only says "not valid JSON" for a number out of range).
            if items.contains(where: { if case .failure = $0.result { true } else { false } }),
               let ranges = EventListItems.ranges(in: bytes), ranges.count == items.count {
                return decodeItems(ranges, of: bytes, position: position)
            }
            var result = AuditDecodeResult()
            for (i, item) in items.enumerated() {
                switch item.result {
                case .success(let e): result.events.append(e)
                case .failure(let error): result.issues.append(AuditDecodeIssue(position: itemPosition(i, position), reason: reason(error, bytes: nil)))
                }
            }
            return result
        }
        if let kind = envelope.kind, kind != "Event" {
            throw AuditDecodeIssue(position: position, reason: "kind \"\(kind)\" is neither Event nor EventList")
        }
        do {
            return AuditDecodeResult(events: [try decoder.decode(AuditEvent.self, from: data)])
        } catch {
            return AuditDecodeResult(issues: [AuditDecodeIssue(position: position, reason: reason(error, bytes: nil))])
        }
    }

    /// Decodes one line of a JSON-lines audit log (an Event, or an EventList some collectors
    /// write). Blank lines give nothing. Never throws: every problem is an issue at `line N`.
    public static func decodeLine(_ bytes: some Collection<UInt8>, lineNumber: Int) -> AuditDecodeResult {
        let trimmed = Array(bytes).trimmingASCIIWhitespace()
        guard !trimmed.isEmpty else { return AuditDecodeResult() }
        do {
            return try decodeDocument(trimmed, position: "line \(lineNumber)")
        } catch {
            return AuditDecodeResult(issues: [error])
        }
    }

    /// Decodes a whole JSON-lines text (fixtures, tests). Lines are numbered from 1.
    public static func decodeLines(_ bytes: [UInt8]) -> AuditDecodeResult {
        var result = AuditDecodeResult()
        var number = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            let r = decodeLine(line, lineNumber: number)
            result.events += r.events
            result.issues += r.issues
        }
        return result
    }

    /// The event as a pipeline record stamped with its own time.
    /// - Throws: `AuditDecodeIssue` when the event has no valid `stageTimestamp`,
    ///   `requestReceivedTimestamp` or (v1beta1) `timestamp` (without a time it cannot be ordered or replayed).
    public static func record(_ event: AuditEvent, position: String) throws(AuditDecodeIssue) -> EventRecord {
        guard let t = event.timestampNanoseconds, t > 0 else {
            throw AuditDecodeIssue(position: position, reason: "auditID \(event.auditID): no valid stageTimestamp, requestReceivedTimestamp or timestamp (RFC 3339 expected)")
        }
        return EventRecord(timestamp: t, event: .k8sAudit(event))
    }

    // MARK: - Internals

    private static func itemPosition(_ index: Int, _ position: String) -> String {
        "\(position == "body" ? "" : position + " ")items[\(index)]"
    }

    /// Decodes each item from its own bytes; a bad one is an issue at `items[N]` naming its field.
    private static func decodeItems(_ ranges: [Range<Int>], of bytes: [UInt8], position: String) -> AuditDecodeResult {
        var result = AuditDecodeResult()
        let decoder = JSONDecoder()
        for (i, range) in ranges.enumerated() {
            let item = Array(bytes[range])
            do {
                result.events.append(try decoder.decode(AuditEvent.self, from: Data(item)))
            } catch {
                let why = item.withUnsafeBytes { raw in
                    traceDecodingReason(error, line: raw, stillFails: { variant in
                        do { _ = try JSONDecoder().decode(AuditEvent.self, from: Data(variant)); return false } catch {
                            return isFieldlessDataCorrupted(error) || !(error is DecodingError)
                        }
                    })
                }
                result.issues.append(AuditDecodeIssue(position: itemPosition(i, position), reason: why))
            }
        }
        return result
    }

    /// The outer shape, read leniently: `items` are decoded one by one so one bad item is skipped.
    private struct Envelope: Decodable {
        var kind: String?
        var items: [LenientItem]?
    }

    private struct LenientItem: Decodable {
        var result: Result<AuditEvent, any Error>
        init(from decoder: Decoder) throws {
            do { result = .success(try AuditEvent(from: decoder)) } catch { result = .failure(error) }
        }
    }

    private static func reason(_ error: any Error, bytes: [UInt8]?) -> String {
        if let bytes {
            return bytes.withUnsafeBytes { traceDecodingReason(error, line: $0) }
        }
        return traceDecodingReason(error)
    }
}

extension Array where Element == UInt8 {
    func trimmingASCIIWhitespace() -> [UInt8] {
        func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return [] }
        return Array(self[first...last])
    }
}
