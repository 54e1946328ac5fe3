// SPDX-License-Identifier: Apache-2.0
// /proc/<pid>/cmdline: the arguments separated (and terminated) by NUL bytes.

public enum CmdlineParser {
    /// Splits cmdline bytes into arguments. Empty arguments are kept (`a\0\0b\0` → ["a", "", "b"]);
    /// the terminating NUL does not make an extra argument. Invalid UTF-8 is replaced with U+FFFD.
    /// - Returns: the arguments, or nil when the file was empty (kernel thread, exited process).
    public static func parse(_ bytes: [UInt8]) -> [String]? {
        guard !bytes.isEmpty else { return nil }
        // Walked in place: the arguments are counted first, so the array is allocated once at its
        // size, and each argument is decoded straight from the file's bytes (capture reads one
        // cmdline per exec; splitting made an array of slices and grew the result).
        return bytes.withUnsafeBufferPointer { bytes in
            let end = bytes.last == 0 ? bytes.count - 1 : bytes.count
            var count = 1
            for i in 0..<end where bytes[i] == 0 { count += 1 }
            var arguments: [String] = []
            arguments.reserveCapacity(count)
            var start = 0
            for i in 0..<end where bytes[i] == 0 {
                arguments.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
                start = i + 1
            }
            arguments.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
            return arguments
        }
    }
}
