// SPDX-License-Identifier: Apache-2.0
// The DNS resolvers a resolv.conf names, and where capture reads them: the node's own file, and each
// container's, as one of its processes sees it (inside its root filesystem).

import RuntimeWatchCore
import RuntimeWatchSystem

public enum ResolvConf {
    /// A real resolv.conf is a few hundred bytes; anything past this is not read.
    public static let fileLimit = 64 * 1024
    /// glibc uses the first 3 (MAXNS); a few more are kept for resolvers that read further (the
    /// engine keeps no more either).
    public static let maxResolvers = EventBounds.resolverCount

    /// The addresses of the `nameserver` lines, in order, canonical (`IPAddress` text), without
    /// duplicates, at most `maxResolvers`. Comments (`#`, `;`) and other options are skipped, and so
    /// is a nameserver that is not a numeric address.
    public static func nameservers(in bytes: [UInt8]) -> [String] {
        var found: [String] = []
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let words = line.prefix { $0 != UInt8(ascii: "#") && $0 != UInt8(ascii: ";") }
                .split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") })
            guard words.count >= 2, words[0].elementsEqual("nameserver".utf8),
                  let address = IPAddress(String(decoding: words[1], as: UTF8.self)) else { continue }
            let text = address.unmapped.description
            if !found.contains(text) { found.append(text) }
            if found.count == maxResolvers { break }
        }
        return found
    }

    /// The node's resolvers (its /etc/resolv.conf), or [] when it cannot be read.
    public static func node(path: String = "/etc/resolv.conf") -> [String] {
        guard case .success(let bytes) = BoundedFileRead.contents(of: path, limit: fileLimit) else { return [] }
        return nameservers(in: bytes)
    }

    /// The resolvers process `pid` is configured with: its /etc/resolv.conf inside its own root.
    /// [] when it has none (a resolver then defaults to the loopback). Nil when this cannot be told
    /// now: the process is gone, has not yet pivoted into its root, or the file is unreadable.
    public static func ofProcess(_ pid: Int32) -> [String]? {
        guard let root = try? ProcessRoot.open(pid: pid) else { return nil }
        defer { root.close() }
        guard (try? root.isOwnFilesystem()) == true else { return nil }
        do {
            return nameservers(in: try root.readFile("etc/resolv.conf", limit: fileLimit))
        } catch where error.errno == .noSuchFileOrDirectory {
            return []
        } catch {
            return nil
        }
    }
}
