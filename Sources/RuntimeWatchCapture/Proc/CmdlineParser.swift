// SPDX-License-Identifier: Apache-2.0
// /proc/<pid>/cmdline: the arguments separated (and terminated) by NUL bytes.

public enum CmdlineParser {
    /// Splits cmdline bytes into arguments. Empty arguments are kept (`a\0\0b\0` → ["a", "", "b"]);
    /// the terminating NUL does not make an extra argument. Invalid UTF-8 is replaced with U+FFFD.
    /// - Returns: the arguments, or nil when the file was empty (kernel thread, exited process).
    public static func parse(_ bytes: some BidirectionalCollection<UInt8>) -> [String]? {
        guard !bytes.isEmpty else { return nil }
        var parts = bytes.split(separator: 0, omittingEmptySubsequences: false)
        if bytes.last == 0 { parts.removeLast() }
        return parts.map { String(decoding: $0, as: UTF8.self) }
    }
}
