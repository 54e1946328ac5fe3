// SPDX-License-Identifier: Apache-2.0
// /proc/<pid>/status: "Key:\tvalue" lines. Capture takes the parent pid, the real/effective
// uids and gids, and the effective capability mask. Unknown keys are ignored; a known key with
// a bad value is reported and the others are still used.

import RuntimeWatchCore

/// The fields of /proc/<pid>/status that capture uses. Each is nil when absent or malformed.
public struct ProcStatus: Sendable, Hashable {
    /// `Name:` (escaped by the kernel; prefer stat's comm).
    public var name: String?
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
        var s = ProcStatus()
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon]
            let value = line[line.index(after: colon)...].trimmingPrefix(while: { $0 == "\t" || $0 == " " })
            func bad(_ what: String) {
                s.problems.append(ProcParseError(file: "status", reason: "line \(lineNumber): \(what) \"\(value.prefix(40))\""))
            }
            switch key {
            case "Name": s.name = String(value)
            case "PPid":
                if let v = Int32(value) { s.ppid = v } else { bad("PPid is not a pid:") }
            case "Uid":
                if let ids = idList(value) { s.uids = ids } else { bad("Uid is not four ids:") }
            case "Gid":
                if let ids = idList(value) { s.gids = ids } else { bad("Gid is not four ids:") }
            case "CapEff":
                if value.count <= 16, let v = UInt64(value, radix: 16) { s.capEff = v } else { bad("CapEff is not a 64-bit hex mask:") }
            default: continue
            }
        }
        if s.uids == nil { s.problems.append(ProcParseError(file: "status", reason: "no valid Uid line")) }
        if s.gids == nil { s.problems.append(ProcParseError(file: "status", reason: "no valid Gid line")) }
        return s
    }

    private static func idList(_ value: Substring) -> [UInt32]? {
        let parts = value.split(whereSeparator: { $0 == "\t" || $0 == " " })
        guard parts.count == 4 else { return nil }
        let ids = parts.compactMap { UInt32($0) }
        return ids.count == 4 ? ids : nil
    }
}
