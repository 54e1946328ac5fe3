// SPDX-License-Identifier: Apache-2.0
// Parses the `--listen` value. Accepted forms: `host:port`, `[ipv6]:port` and `:port` (all IPv4
// interfaces, 0.0.0.0). Port 0 asks the kernel for a free port (tests use it).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a `--listen` value was refused; the description names the value and what is wrong.
public struct ListenAddressError: Error, Equatable, CustomStringConvertible {
    public var value: String
    public var reason: String
    public var description: String {
        "invalid listen address \"\(value)\": \(reason) (expected host:port, [ipv6]:port or :port)"
    }
}

/// A host and TCP port to bind the health/metrics listener to.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// IPv4 literal, IPv6 literal (without brackets) or hostname.
    public var host: String
    /// 0...65535; 0 lets the kernel choose.
    public var port: Int

    /// 127.0.0.1:8765: loopback only, so a fresh install exposes nothing to the network.
    public static let defaultValue = ListenAddress(host: "127.0.0.1", port: 8765)

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[ipv6]:port` or `:port`.
    /// - Throws: `ListenAddressError` naming the value and the reason (missing port, bad port,
    ///   unbracketed IPv6, invalid host).
    public init(parsing text: String) throws(ListenAddressError) {
        func fail(_ reason: String) -> ListenAddressError { ListenAddressError(value: text, reason: reason) }
        guard !text.isEmpty else { throw fail("empty value") }
        guard !text.contains(where: { $0.isWhitespace }) else { throw fail("contains whitespace") }

        let host: String
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail("missing ']' after IPv6 address") }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw fail("missing ':port' after ']'") }
            portText = rest.dropFirst()
            guard Self.isIPv6Literal(host) else { throw fail("\"\(host)\" is not an IPv6 address") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw fail("missing ':port'") }
            let hostPart = text[..<colon]
            guard !hostPart.contains(":") else {
                throw fail("IPv6 addresses must be written in brackets, e.g. [::1]:8765")
            }
            host = hostPart.isEmpty ? "0.0.0.0" : String(hostPart)
            portText = text[text.index(after: colon)...]
            guard Self.isIPv4Literal(host) || Self.isHostname(host) else {
                throw fail("\"\(host)\" is neither an IPv4 address nor a hostname")
            }
        }
        guard !portText.isEmpty else { throw fail("missing port number") }
        guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), portText.count <= 5, let port = Int(portText) else {
            throw fail("port \"\(portText)\" is not a number")
        }
        guard port <= 65535 else { throw fail("port \(port) is out of range 0-65535") }
        self.init(host: host, port: port)
    }

    /// `host:port`, with brackets around IPv6 literals; parses back to the same value.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func isIPv4Literal(_ s: String) -> Bool {
        var addr = in_addr()
        return inet_pton(AF_INET, s, &addr) == 1
    }

    private static func isIPv6Literal(_ s: String) -> Bool {
        var addr = in6_addr()
        return inet_pton(AF_INET6, s, &addr) == 1
    }

    /// RFC 1123 hostname: dot-separated labels of letters, digits and inner hyphens.
    private static func isHostname(_ s: String) -> Bool {
        guard s.utf8.count <= 253 else { return false }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        // An all-numeric dotted name (e.g. 300.1.1.1) is a mistyped IPv4 address, not a hostname.
        if labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
