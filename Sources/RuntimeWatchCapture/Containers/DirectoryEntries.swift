// SPDX-License-Identifier: Apache-2.0
// Lists a directory's entry names with a hard cap, so a runtime root holding thousands of entries
// (or a hostile one) costs a bounded amount of work per container lookup.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

enum DirectoryEntries {
    /// Names in `path` other than `.` and `..`, at most `limit` of them, sorted so lookups are
    /// deterministic; empty when the directory is missing or unreadable (callers treat it as "no roots").
    /// `directoriesOnly`: skip everything readdir does not report as a directory (cgroupfs fills
    /// d_type, so no stat per entry).
    static func names(in path: String, limit: Int, directoriesOnly: Bool = false) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while names.count < limit, let entry = readdir(dir) {
            if directoriesOnly && entry.pointee.d_type != UInt8(DT_DIR) { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
