// SPDX-License-Identifier: Apache-2.0
// The command of a `pods/exec` request lives only in its URI: one `command=` query item per argv
// element, percent-encoded (`?command=%2Fbin%2Fsh&command=-c&command=id&container=app&tty=true`).

public enum ExecCommandDecoder {
    /// The values of every `name=` query item of `uri`, in order, percent-decoded (`+` stays `+`:
    /// the API server's URIs use `%20` for spaces). Empty when there is no such item.
    public static func queryValues(_ name: String, in uri: String) -> [String] {
        guard let q = uri.firstIndex(of: "?") else { return [] }
        var query = uri[uri.index(after: q)...]
        if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
        var out: [String] = []
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard percentDecode(String(parts[0])) == name else { continue }
            out.append(parts.count > 1 ? percentDecode(String(parts[1])) : "")
        }
        return out
    }

    /// The argv of an exec request (`command` items), empty for attach or when absent.
    public static func command(fromURI uri: String) -> [String] { queryValues("command", in: uri) }

    /// The target container (`container=`), or nil.
    public static func container(fromURI uri: String) -> String? { queryValues("container", in: uri).first }

    /// Percent-decodes `text`; a malformed escape (`%zz`, a trailing `%`) is kept literally, and
    /// bytes that are not valid UTF-8 become U+FFFD.
    public static func percentDecode(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var i = 0
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 65...70: c - 55
            case 97...102: c - 87
            default: nil
            }
        }
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "%"), i + 2 < utf8.count, let h = hex(utf8[i + 1]), let l = hex(utf8[i + 2]) {
                bytes.append(h << 4 | l)
                i += 3
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
