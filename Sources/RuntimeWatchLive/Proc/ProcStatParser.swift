// SPDX-License-Identifier: Apache-2.0
// /proc/<pid>/stat. The comm field is in parentheses and may itself contain spaces and ')' (a
// process can name itself "a) (b"), so fields are counted from the LAST ')' in the line.
// Field numbers follow proc(5).

/// The fields of /proc/<pid>/stat that capture uses.
public struct ProcStat: Sendable, Hashable {
    /// Field 2: the kernel comm, without the parentheses.
    public var comm: String
    /// Field 3: R, S, D, Z (zombie), X (dead), T, t, I, …
    public var state: Character
    /// Field 4.
    public var ppid: Int32
    /// Field 9: PF_* flags; `PF_KTHREAD` (0x00200000) marks kernel threads.
    public var flags: UInt32
    /// Field 22: start time in clock ticks since boot.
    public var startTicks: UInt64

    /// True for a zombie or dead task: it exited and only its stat/status remain readable.
    public var hasExited: Bool { state == "Z" || state == "X" }
    /// True for kernel threads, which have no exe, cmdline or fds.
    public var isKernelThread: Bool { flags & 0x0020_0000 != 0 }

    /// Parses the text of /proc/<pid>/stat.
    /// - Throws: `ProcParseError` naming the missing or malformed field.
    public static func parse(_ text: String) throws(ProcParseError) -> ProcStat {
        func fail(_ reason: String) -> ProcParseError { ProcParseError(file: "stat", reason: reason) }
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else {
            throw fail("no parenthesised comm field")
        }
        let comm = String(text[text.index(after: open)..<close])
        let rest = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is field 3; field n is rest[n - 3].
        func field(_ n: Int) throws(ProcParseError) -> Substring {
            guard rest.count > n - 3 else { throw fail("only \(rest.count + 2) fields, field \(n) missing") }
            return rest[n - 3]
        }
        let stateField = try field(3)
        guard stateField.count == 1, let state = stateField.first else { throw fail("field 3 (state) is \"\(stateField.prefix(16))\"") }
        guard let ppid = Int32(try field(4)) else { throw fail("field 4 (ppid) is not a number") }
        guard let flags = UInt32(try field(9)) else { throw fail("field 9 (flags) is not a number") }
        let startField = try field(22).droppingLast(while: { $0 == "\n" })
        guard let start = UInt64(startField) else { throw fail("field 22 (starttime) is not a number") }
        return ProcStat(comm: comm, state: state, ppid: ppid, flags: flags, startTicks: start)
    }
}

extension Substring {
    func droppingLast(while predicate: (Character) -> Bool) -> Substring {
        var s = self
        while let last = s.last, predicate(last) { s = s.dropLast() }
        return s
    }
}
