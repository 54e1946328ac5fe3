// SPDX-License-Identifier: Apache-2.0
// /proc/<pid>/net/{tcp,tcp6,udp,udp6,unix}: find the socket behind a `socket:[inode]` descriptor.
// The per-process path shows the tables of the process's own network namespace, so a socket
// inside a container resolves. Addresses are hex dumps of the kernel's in-memory values:
// IPv4 is one 32-bit word, IPv6 four 32-bit words, each printed as a host-order integer (so on a
// little-endian host "0100007F" is 127.0.0.1); ports are plain host-order hex.

import RuntimeWatchCore

#if canImport(Glibc)
import Glibc
#endif

public enum ProcNetParser {
    /// TCP states as the kernel numbers them (include/net/tcp_states.h). UDP reuses 01/07.
    public static func tcpStateName(_ code: UInt8) -> String {
        switch code {
        case 0x01: "ESTABLISHED"
        case 0x02: "SYN_SENT"
        case 0x03: "SYN_RECV"
        case 0x04: "FIN_WAIT1"
        case 0x05: "FIN_WAIT2"
        case 0x06: "TIME_WAIT"
        case 0x07: "CLOSE"
        case 0x08: "CLOSE_WAIT"
        case 0x09: "LAST_ACK"
        case 0x0A: "LISTEN"
        case 0x0B: "CLOSING"
        case 0x0C: "NEW_SYN_RECV"
        default: "UNKNOWN(\(code))"
        }
    }

    /// Parses one data line of net/tcp, tcp6, udp or udp6.
    /// - Parameters: family "inet" or "inet6"; proto "tcp" or "udp"; file names the table in errors.
    /// - Returns: the socket inode and its details.
    /// - Throws: `ProcParseError` naming the field that is malformed.
    public static func parseInetLine(_ line: Substring, family: String, proto: String, file: String) throws(ProcParseError) -> (inode: UInt64, socket: DescriptorInfo.Socket) {
        func fail(_ reason: String) -> ProcParseError { ProcParseError(file: file, reason: "\(reason) in \"\(line.prefix(80))\"") }
        let f = line.split(separator: " ", omittingEmptySubsequences: true)
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
        guard f.count >= 10 else { throw fail("\(f.count) fields, at least 10 expected") }
        guard let (localAddress, localPort) = endpoint(f[1], family: family) else { throw fail("bad local address") }
        guard let (remoteAddress, remotePort) = endpoint(f[2], family: family) else { throw fail("bad remote address") }
        guard f[3].utf8.count == 2, let state = UInt8(f[3], radix: 16) else { throw fail("bad state") }
        guard let inode = UInt64(f[9]) else { throw fail("bad inode") }
        let unconnected = remotePort == 0 && isUnspecified(remoteAddress)
        let socket = DescriptorInfo.Socket(
            family: family, proto: proto, localAddress: localAddress, localPort: localPort,
            remoteAddress: unconnected ? nil : remoteAddress, remotePort: unconnected ? nil : remotePort,
            state: tcpStateName(state))
        return (inode, socket)
    }

    /// Parses one data line of net/unix: `Num RefCount Protocol Flags Type St Inode [Path]`.
    /// The path (may contain spaces; abstract names start with '@') becomes `localAddress`.
    public static func parseUnixLine(_ line: Substring) throws(ProcParseError) -> (inode: UInt64, socket: DescriptorInfo.Socket) {
        func fail(_ reason: String) -> ProcParseError { ProcParseError(file: "net/unix", reason: "\(reason) in \"\(line.prefix(80))\"") }
        var rest = line[...]
        var fields: [Substring] = []
        while fields.count < 7 {
            rest = rest.drop(while: { $0 == " " })
            guard !rest.isEmpty else { throw fail("\(fields.count) fields, at least 7 expected") }
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            fields.append(rest[..<end])
            rest = rest[end...]
        }
        guard let type = UInt16(fields[4], radix: 16) else { throw fail("bad type") }
        guard let inode = UInt64(fields[6]) else { throw fail("bad inode") }
        let path = rest.drop(while: { $0 == " " })
        let proto = type == 1 ? "stream" : type == 2 ? "dgram" : "unknown"
        return (inode, DescriptorInfo.Socket(family: "unix", proto: proto, localAddress: path.isEmpty ? nil : String(path)))
    }

    /// Finds the socket with `inode` in the text of one table. Lines that do not parse are
    /// skipped and reported in `problems` (at most 3 per table, the rest counted in the last).
    /// - Parameter table: "tcp", "tcp6", "udp", "udp6" or "unix".
    public static func find(inode: UInt64, table: String, text: String, problems: inout [ProcParseError]) -> DescriptorInfo.Socket? {
        let needle = String(inode)
        var bad = 0
        for (index, line) in text.split(separator: "\n").enumerated() where index > 0 {
            // Cheap pre-filter: the inode must appear as a token before paying for a full parse.
            guard line.contains(needle) else { continue }
            do throws(ProcParseError) {
                let parsed: (inode: UInt64, socket: DescriptorInfo.Socket)
                switch table {
                case "unix": parsed = try parseUnixLine(line)
                case "tcp", "udp": parsed = try parseInetLine(line, family: "inet", proto: table, file: "net/\(table)")
                case "tcp6": parsed = try parseInetLine(line, family: "inet6", proto: "tcp", file: "net/tcp6")
                case "udp6": parsed = try parseInetLine(line, family: "inet6", proto: "udp", file: "net/udp6")
                default: return nil
                }
                if parsed.inode == inode {
                    var socket = parsed.socket
                    if table == "tcp" || table == "tcp6", socket.remotePort != nil, let port = socket.localPort {
                        socket.inbound = hasListener(port: port, text: text) || !ephemeralPorts.contains(port) ? true : nil
                    }
                    return socket
                }
            } catch {
                bad += 1
                if bad <= 3 { problems.append(error) }
            }
        }
        return nil
    }

    /// Linux's default `net.ipv4.ip_local_port_range`: the local ports an outbound connect gets. A
    /// connected socket whose local port is outside it was accepted (or bound on purpose, which
    /// clients do not do), even once its listener is closed (busybox `nc -l` closes it at accept).
    static let ephemeralPorts: ClosedRange<UInt16> = 32_768...60_999

    /// Whether a TCP table holds a listener (state 0A) on local `port`: a connected socket with
    /// that local port was accepted from it (inbound), since an outbound connect gets an ephemeral
    /// port nobody listens on. Field 1 is `addr:PORT`, field 3 the state.
    static func hasListener(port: UInt16, text: String) -> Bool {
        var hex = String(port, radix: 16, uppercase: true)
        while hex.utf8.count < 4 { hex = "0" + hex }
        let suffix = ":" + hex
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: true)
            if f.count >= 4, f[3] == "0A", f[1].hasSuffix(suffix) { return true }
        }
        return false
    }

    /// "0100007F:1F90" → ("127.0.0.1", 8080); 32 hex digits for inet6.
    static func endpoint(_ field: Substring, family: String) -> (String, UInt16)? {
        guard let colon = field.firstIndex(of: ":") else { return nil }
        let hex = field[..<colon]
        let portHex = field[field.index(after: colon)...]
        guard portHex.utf8.count == 4, let port = UInt16(portHex, radix: 16) else { return nil }
        let words = family == "inet6" ? 4 : 1
        // ASCII hex only: the offsets below count characters, which are bytes only then (fuzzing found
        // a multi-byte character in an address field trapping on an index past the end).
        guard hex.utf8.count == 8 * words, hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 102) }) else { return nil }
        var bytes: [UInt8] = []
        var start = hex.startIndex
        for _ in 0..<words {
            let end = hex.index(start, offsetBy: 8)
            guard let word = UInt32(hex[start..<end], radix: 16) else { return nil }
            // The kernel printed the word as a host-order integer; its memory bytes are the address bytes.
            withUnsafeBytes(of: word) { bytes.append(contentsOf: $0) }
            start = end
        }
        guard let text = format(bytes) else { return nil }
        return (text, port)
    }

    /// Formats 4 or 16 address bytes with inet_ntop (RFC 5952 text for IPv6).
    static func format(_ bytes: [UInt8]) -> String? {
        let af = bytes.count == 4 ? AF_INET : AF_INET6
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = bytes.withUnsafeBytes { src in
            inet_ntop(af, src.baseAddress, &out, socklen_t(out.count)) != nil
        }
        return ok ? String(decoding: out.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }

    static func isUnspecified(_ address: String) -> Bool { address == "0.0.0.0" || address == "::" }
}
