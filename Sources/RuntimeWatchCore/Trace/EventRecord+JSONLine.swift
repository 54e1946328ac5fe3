// SPDX-License-Identifier: Apache-2.0
// The byte-exact trace line for an event: `{"ts":…,"type":"…",…payload fields…}` with `ts` and
// `type` first and the payload's keys sorted, so a trace is stable and diffable. JSONEncoder alone
// does not give a stable key order (unsorted order varies run to run), hence the splice.

import Foundation

extension EventRecord {
    /// One trace line (no newline). Written by the byte-level encoder (`appendFastJSONLine`), which
    /// produces exactly the bytes of the Codable path below; it never throws (kept `throws` for
    /// source compatibility).
    public func jsonLine() throws -> String {
        var bytes: [UInt8] = []
        appendFastJSONLine(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The encoder `appendJSONLine` expects: compact, sorted keys, unescaped slashes.
    static func makeLineEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Appends the line (no newline) to `out` through JSONEncoder: the reference encoding the fast
    /// encoder is tested against.
    func appendCodableJSONLine(to out: inout [UInt8], using encoder: JSONEncoder) throws {
        let payload: Data
        switch event {
        case .snapshot(let p), .exec(let p): payload = try encoder.encode(p)
        case .fork(let e): payload = try encoder.encode(e)
        case .exit(let e): payload = try encoder.encode(e)
        case .uid(let e), .gid(let e): payload = try encoder.encode(e)
        case .sid(let e), .coredump(let e): payload = try encoder.encode(e)
        case .comm(let e): payload = try encoder.encode(e)
        case .ptrace(let e): payload = try encoder.encode(e)
        case .container(let e): payload = try encoder.encode(e)
        case .drop(let e): payload = try encoder.encode(e)
        case .fileOpen(let e): payload = try encoder.encode(e)
        case .connect(let e): payload = try encoder.encode(e)
        case .descriptors(let e): payload = try encoder.encode(e)
        case .k8sAudit(let e): payload = try encoder.encode(e)
        }
        out.append(contentsOf: #"{"ts":"#.utf8)
        out.append(contentsOf: String(timestamp).utf8)
        out.append(contentsOf: #","type":""#.utf8)
        out.append(contentsOf: event.kind.utf8)
        out.append(UInt8(ascii: "\""))
        // payload is `{}` or `{"k":v,…}`: splice its members after ts and type.
        if payload.count > 2 {
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: payload.dropFirst())
        } else {
            out.append(UInt8(ascii: "}"))
        }
    }
}
