// SPDX-License-Identifier: Apache-2.0
// `kubectl patch --type=json` (RFC 6902) sends a list of operations, and the API server logs that
// list as the event's `requestObject`. Folding the `add`/`replace` operations into the partial
// object they write (`/spec/template/spec/hostPID: true` → {"spec":{"template":{"spec":{"hostPID":
// true}}}}) lets the privileged-workload rule read a JSON patch exactly like a merge patch or a
// create; a list that is not a JSON patch folds to nothing rather than rejecting the whole event.

import Foundation

/// Any JSON value, for carrying patch values whose shape the rule reads later.
indirect enum JSONValue: Codable, Hashable, Sendable {
    case object([String: JSONValue]), array([JSONValue]), string(String), number(Double), bool(Bool), null

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .object(let o): try c.encode(o)
        case .array(let a): try c.encode(a)
        case .string(let s): try c.encode(s)
        case .number(let n): try c.encode(n)
        case .bool(let b): try c.encode(b)
        case .null: try c.encodeNil()
        }
    }
}

enum JSONPatchFolding {
    private struct Operation: Decodable {
        var op: String?
        var path: String?
        var value: JSONValue?
    }

    /// The partial object the `add`/`replace` operations of `decoder`'s list write.
    /// - Returns: the folded object (`.object([:])` when no operation writes anything readable).
    static func fold(_ decoder: Decoder) throws -> JSONValue {
        var list = try decoder.unkeyedContainer()
        var root = JSONValue.object([:])
        while !list.isAtEnd {
            guard let op = try? list.decode(Operation.self) else { _ = try? list.decode(JSONValue.self); continue }
            guard op.op == "add" || op.op == "replace", let path = op.path, let value = op.value else { continue }
            let tokens = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
                // RFC 6901 escapes: ~1 is '/', ~0 is '~'.
                $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            }
            guard !tokens.isEmpty else { continue }
            root = set(value, at: tokens[...], in: root)
        }
        return root
    }

    /// `container` with `value` written at `tokens`; array indices and "-" append, so element
    /// positions are not kept (the rule reads every element alike).
    private static func set(_ value: JSONValue, at tokens: ArraySlice<String>, in container: JSONValue) -> JSONValue {
        guard let head = tokens.first else { return value }
        let rest = tokens.dropFirst()
        let isIndex = head == "-" || Int(head) != nil
        switch container {
        case .array(var items) where isIndex:
            if let i = Int(head), items.indices.contains(i) { items[i] = set(value, at: rest, in: items[i]) }
            else { items.append(set(value, at: rest, in: rest.isEmpty ? .null : .object([:]))) }
            return .array(items)
        case .object(var fields) where !isIndex:
            let next = fields[head] ?? (rest.first.map { $0 == "-" || Int($0) != nil } == true ? .array([]) : .object([:]))
            fields[head] = set(value, at: rest, in: next)
            return .object(fields)
        default:
            // The path disagrees with what an earlier operation wrote: start this branch afresh.
            return isIndex ? set(value, at: tokens, in: .array([])) : set(value, at: tokens, in: .object([:]))
        }
    }
}
