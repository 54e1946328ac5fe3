// SPDX-License-Identifier: Apache-2.0
// /proc/<pid>/status: "Key:\tvalue" lines. Capture takes the thread-group id (the process id of a
// thread's /proc/<tid>), the parent pid, the real/effective uids and gids, and the effective
// capability mask. Unknown keys are ignored; a known key with
// a bad value is reported and the others are still used.

import RuntimeWatchCore

/// The fields of /proc/<pid>/status that capture uses. Each is nil when absent or malformed.
public struct ProcStatus: Sendable, Hashable {
    /// `Name:` (escaped by the kernel; prefer stat's comm).
    public var name: String?
    /// `Tgid:`: the process id (differs from the directory's id for a non-leader thread).
    public var tgid: Int32?
    /// `PPid:`.
    public var ppid: Int32?
    /// `Uid:` real, effective, saved, filesystem.
    public var uids: [UInt32]?
    /// `Gid:` real, effective, saved, filesystem.
    public var gids: [UInt32]?
    /// `CapEff:` (hex mask).
    public var capEff: UInt64?
    /// Lines with a known key whose value did not parse.
    public var problems: [ProcParseError] = []

    /// Real/effective ids and CapEff, or nil when Uid or Gid is missing.
    public var credentials: Credentials? {
        guard let uids, let gids, uids.count >= 2, gids.count >= 2 else { return nil }
        return Credentials(uid: uids[0], euid: uids[1], gid: gids[0], egid: gids[1], capEff: capEff)
    }

    /// Parses the text of /proc/<pid>/status. Never throws: bad lines land in `problems`.
    public static func parse(_ text: String) -> ProcStatus {
        parse(utf8: Array(text.utf8))
    }

    /// Parses the bytes of /proc/<pid>/status as read. Works on bytes and builds Strings only for
    /// the six keys it keeps (the file has ~55 lines; capture reads it on every full exec read and
    /// every token open): each line's key is told by its length and bytes through a buffer pointer,
    /// without a generic sequence comparison per key and line. Never throws: bad lines land in `problems`.
    public static func parse(utf8 bytes: [UInt8]) -> ProcStatus {
        var s = ProcStatus()
        bytes.withUnsafeBufferPointer { buf in
            var lineNumber = 0
            var lineStart = 0
            while lineStart <= buf.count {
                var lineEnd = lineStart
                while lineEnd < buf.count && buf[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                defer { lineStart = lineEnd + 1 }
                lineNumber += 1
                var colon = lineStart
                while colon < lineEnd && buf[colon] != UInt8(ascii: ":") { colon += 1 }
                guard colon < lineEnd, let key = Key(buf, from: lineStart, to: colon) else { continue }
                var valueStart = colon + 1
                while valueStart < lineEnd && (buf[valueStart] == UInt8(ascii: "\t") || buf[valueStart] == UInt8(ascii: " ")) { valueStart += 1 }
                let value = bytes[valueStart..<lineEnd]
                func text() -> String { String(decoding: value, as: UTF8.self) }
                func bad(_ what: String) {
                    s.problems.append(ProcParseError(file: "status", reason: "line \(lineNumber): \(what) \"\(text().prefix(40))\""))
                }
                switch key {
                case .name:
                    s.name = text()
                case .tgid:
                    if let v = Int32(text()) { s.tgid = v } else { bad("Tgid is not a pid:") }
                case .ppid:
                    if let v = Int32(text()) { s.ppid = v } else { bad("PPid is not a pid:") }
                case .uid:
                    if let ids = idList(value) { s.uids = ids } else { bad("Uid is not four ids:") }
                case .gid:
                    if let ids = idList(value) { s.gids = ids } else { bad("Gid is not four ids:") }
                case .capEff:
                    if value.count <= 16, let v = UInt64(text(), radix: 16) { s.capEff = v } else { bad("CapEff is not a 64-bit hex mask:") }
                }
            }
        }
        if s.uids == nil { s.problems.append(ProcParseError(file: "status", reason: "no valid Uid line")) }
        if s.gids == nil { s.problems.append(ProcParseError(file: "status", reason: "no valid Gid line")) }
        return s
    }

    /// The keys kept, told from a line's key bytes `buf[from..<to]`; nil for every other key.
    private enum Key {
        case name, tgid, ppid, uid, gid, capEff

        init?(_ buf: UnsafeBufferPointer<UInt8>, from: Int, to: Int) {
            func equals(_ literal: StaticString) -> Bool {
                guard to - from == literal.utf8CodeUnitCount else { return false }
                let l = literal.utf8Start
                for i in 0..<(to - from) where buf[from + i] != l[i] { return false }
                return true
            }
            switch to - from {
            case 3: if equals("Uid") { self = .uid } else if equals("Gid") { self = .gid } else { return nil }
            case 4: if equals("Name") { self = .name } else if equals("Tgid") { self = .tgid } else if equals("PPid") { self = .ppid } else { return nil }
            case 6: if equals("CapEff") { self = .capEff } else { return nil }
            default: return nil
            }
        }
    }

    private static func idList(_ value: ArraySlice<UInt8>) -> [UInt32]? {
        let parts = value.split(whereSeparator: { $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: " ") })
        guard parts.count == 4 else { return nil }
        let ids = parts.compactMap { UInt32(String(decoding: $0, as: UTF8.self)) }
        return ids.count == 4 ? ids : nil
    }
}
