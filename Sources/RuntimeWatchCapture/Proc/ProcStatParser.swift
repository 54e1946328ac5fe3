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
    /// Field 5: the process group (a shell puts every member of a pipeline in one).
    public var pgrp: Int32
    /// Field 9: PF_* flags; `PF_KTHREAD` (0x00200000) marks kernel threads.
    public var flags: UInt32
    /// Field 22: start time in clock ticks since boot.
    public var startTicks: UInt64

    /// True for a zombie or dead task: it exited and only its stat/status remain readable.
    public var hasExited: Bool { state == "Z" || state == "X" }
    /// True for kernel threads, which have no exe, cmdline or fds.
    public var isKernelThread: Bool { flags & 0x0020_0000 != 0 }
    /// True once the task has begun to exit (`PF_EXITING`, 0x4, set at the start of `do_exit` and
    /// never cleared), and for a zombie or dead task.
    public var isExiting: Bool { flags & 0x4 != 0 || hasExited }

    /// Parses the text of /proc/<pid>/stat.
    /// - Throws: `ProcParseError` naming the missing or malformed field.
    public static func parse(_ text: String) throws(ProcParseError) -> ProcStat {
        try parse(utf8: Array(text.utf8))
    }

    /// Parses the bytes of /proc/<pid>/stat as read (what capture calls per exec: it works on the
    /// bytes, without building a String of the whole file or walking it by Character).
    /// - Throws: `ProcParseError` naming the missing or malformed field.
    public static func parse(utf8 bytes: [UInt8]) throws(ProcParseError) -> ProcStat {
        func fail(_ reason: String) -> ProcParseError { ProcParseError(file: "stat", reason: reason) }
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")), let close = bytes.lastIndex(of: UInt8(ascii: ")")), open < close else {
            throw fail("no parenthesised comm field")
        }
        let comm = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        // Fields after the comm, separated by runs of spaces; fields[0] is field 3, field n is fields[n - 3].
        var fields: [Range<Int>] = []
        fields.reserveCapacity(52)
        var i = close + 1
        while i < bytes.count {
            while i < bytes.count && bytes[i] == UInt8(ascii: " ") { i += 1 }
            let begin = i
            while i < bytes.count && bytes[i] != UInt8(ascii: " ") { i += 1 }
            if i > begin { fields.append(begin..<i) }
        }
        func field(_ n: Int) throws(ProcParseError) -> ArraySlice<UInt8> {
            guard fields.count > n - 3 else { throw fail("only \(fields.count + 2) fields, field \(n) missing") }
            return bytes[fields[n - 3]]
        }
        func text(_ b: ArraySlice<UInt8>) -> String { String(decoding: b, as: UTF8.self) }
        let stateBytes = try field(3)
        let stateText = text(stateBytes)
        guard stateText.count == 1, let state = stateText.first else { throw fail("field 3 (state) is \"\(stateText.prefix(16))\"") }
        guard let ppid = Int32(text(try field(4))) else { throw fail("field 4 (ppid) is not a number") }
        guard let pgrp = Int32(text(try field(5))) else { throw fail("field 5 (pgrp) is not a number") }
        guard let flags = UInt32(text(try field(9))) else { throw fail("field 9 (flags) is not a number") }
        var startBytes = try field(22)
        while startBytes.last == UInt8(ascii: "\n") { startBytes = startBytes.dropLast() }
        guard let start = UInt64(text(startBytes)) else { throw fail("field 22 (starttime) is not a number") }
        return ProcStat(comm: comm, state: state, ppid: ppid, pgrp: pgrp, flags: flags, startTicks: start)
    }
}
