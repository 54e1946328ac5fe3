// SPDX-License-Identifier: Apache-2.0
// Resolves profile host names with the system resolver (getaddrinfo), at profile load and reload.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum SystemHostResolver {
    /// Numeric addresses of `host` (IPv4 and IPv6), or an error naming the host.
    @Sendable public static func resolve(_ host: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &result)
        guard rc == 0 else { throw ResolveError(host: host, reason: String(cString: gai_strerror(rc))) }
        defer { freeaddrinfo(result) }
        var addresses: [String] = []
        var cursor = result
        while let ai = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(ai.pointee.ai_addr, ai.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !addresses.contains(text) { addresses.append(text) }
            }
            cursor = ai.pointee.ai_next
        }
        return addresses
    }

    public struct ResolveError: Error, CustomStringConvertible {
        public var host: String
        public var reason: String
        public var description: String { "cannot resolve \(host): \(reason)" }
    }
}
