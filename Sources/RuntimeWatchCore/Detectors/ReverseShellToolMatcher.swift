// SPDX-License-Identifier: Apache-2.0
// Recognises a network tool launched to run a program on its socket (`nc -e /bin/sh`,
// `ncat --sh-exec`, `socat … EXEC:`), by parsing argv the way the tool's getopt would, not by
// searching the command line for substrings (which both misses `-nve/bin/sh` and flags `grep -e`).

/// What the tool was told to run, and why we think so.
public struct ToolExecMatch: Sendable, Hashable {
    /// The tool's name (`nc`, `ncat`, `socat`).
    public var tool: String
    /// The option that makes it run a program (`-e`, `--sh-exec`, `EXEC:`).
    public var option: String
    /// The program or command it runs.
    public var program: String
}

public enum ReverseShellToolMatcher {
    /// Returns a match when `argv` launches `name` (effective program name) to run a program on its socket.
    /// `name == "busybox"` means argv is `busybox APPLET …` (the applet is argv[1]).
    public static func match(name: String, argv: [String]) -> ToolExecMatch? {
        let isBusybox = name == "busybox"
        let name = isBusybox ? (argv.dropFirst().first.map(ProgramClassifier.baseName) ?? name) : name
        // Every exec comes through here: the arguments are copied only for the tools matched below.
        var args: [String] { Array(argv.dropFirst(isBusybox ? 2 : 1)) }
        switch name {
        case "nc", "netcat", "nc.traditional", "nc.openbsd":
            // Traditional netcat and busybox nc: -e prog, -c cmd. OpenBSD nc has neither (rejects them).
            return getopt(args, tool: name, grammar: .netcat).match
        case "ncat":
            return getopt(args, tool: name, grammar: .ncat).match
        case "socat":
            for a in args where !a.hasPrefix("-") {
                for address in a.components(separatedBy: "!!") {
                    let upper = address.uppercased()
                    for kw in ["EXEC:", "SYSTEM:"] where upper.hasPrefix(kw) {
                        return ToolExecMatch(tool: name, option: String(kw.dropLast()), program: String(address.dropFirst(kw.count)))
                    }
                }
            }
            return nil
        default:
            return nil
        }
    }

    /// The host and port a netcat-family tool connects to: its last two operands, once option
    /// arguments are skipped the way its getopt skips them (`ncat H P -e /bin/sh` has operands H P,
    /// not P and /bin/sh). For socat, the first TCP/UDP address. Nil when argv names none.
    public static func remote(name: String, argv: [String]) -> (address: String, port: UInt16)? {
        let args = Array(argv.dropFirst(name == "busybox" ? 2 : 1))
        let tool = name == "busybox" ? (argv.dropFirst().first.map(ProgramClassifier.baseName) ?? name) : name
        switch tool {
        case "socat":
            for a in args where !a.hasPrefix("-") {
                let parts = a.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                let kind = parts[0].uppercased()
                guard parts.count >= 3, kind.hasPrefix("TCP") || kind.hasPrefix("UDP") || kind.hasPrefix("OPENSSL") || kind.hasPrefix("SSL"),
                      let port = UInt16(parts[2].split(separator: ",").first ?? "") else { continue }
                return (parts[1], port)
            }
            return nil
        case "nc", "netcat", "nc.traditional", "nc.openbsd", "ncat":
            let operands = getopt(args, tool: tool, grammar: tool == "ncat" ? .ncat : .netcat).operands
            guard operands.count >= 2, let port = UInt16(operands[operands.count - 1]) else { return nil }
            return (operands[operands.count - 2], port)
        default:
            return nil
        }
    }

    /// What a launcher's argv says about the ends it joins the program to.
    public enum Ends: Sendable, Hashable {
        /// At least one end is a network address (`TCP:h:p`, `nc h p`, a listen port).
        case network
        /// Every end is local: stdio, a file, a pipe, a unix socket, a pty (`socat STDIO EXEC:sh`,
        /// `ncat -U /run/s --sh-exec sh`).
        case local
        /// argv does not say (an address type or option we do not know): ask the descriptors.
        case unknown
    }

    /// socat address types that are a network socket.
    static let socatNetwork = ["TCP", "UDP", "SCTP", "OPENSSL", "SSL", "SOCKS", "PROXY", "IP", "DCCP", "VSOCK", "UDPLITE"]
    /// socat address types that are local ends.
    static let socatLocal: Set<String> = ["STDIO", "STDIN", "STDOUT", "STDERR", "-", "EXEC", "SYSTEM", "UNIX", "UNIX-LISTEN", "UNIX-L",
                                          "UNIX-CONNECT", "UNIX-SENDTO", "UNIX-RECVFROM", "UNIX-RECV", "UNIX-CLIENT", "ABSTRACT",
                                          "ABSTRACT-LISTEN", "ABSTRACT-CONNECT", "ABSTRACT-CLIENT", "OPEN", "FILE", "CREATE", "CREAT",
                                          "GOPEN", "PIPE", "PTY", "FD", "READLINE", "SHELL", "NAMED"]

    /// The ends a launcher (`name`, as for `match`) joins its program to, from argv alone.
    public static func ends(name: String, argv: [String]) -> Ends {
        let args = Array(argv.dropFirst(name == "busybox" ? 2 : 1))
        let tool = name == "busybox" ? (argv.dropFirst().first.map(ProgramClassifier.baseName) ?? name) : name
        switch tool {
        case "socat":
            var allLocal = true
            for a in args where !a.hasPrefix("-") || a == "-" {
                for address in a.components(separatedBy: "!!") {
                    let type = address.uppercased().prefix { $0 != ":" && $0 != "," }
                    if socatNetwork.contains(where: { type.hasPrefix($0) }) { return .network }
                    if !socatLocal.contains(String(type)) && !type.hasPrefix("UNIX") && !type.hasPrefix("ABSTRACT") { allLocal = false }
                }
            }
            return allLocal ? .local : .unknown
        case "nc", "netcat", "nc.traditional", "nc.openbsd", "ncat":
            if args.contains(where: { $0 == "--unixsock" || $0 == "--vsock" || ($0.hasPrefix("-") && !$0.hasPrefix("--") && shortFlags($0).contains("U")) }) {
                return .local
            }
            let scan = getopt(args, tool: tool, grammar: tool == "ncat" ? .ncat : .netcat)
            let listens = args.contains { $0 == "--listen" || ($0.hasPrefix("-") && !$0.hasPrefix("--") && shortFlags($0).contains("l")) }
            if listens || scan.operands.count >= 2 || (scan.operands.count == 1 && UInt16(scan.operands[0]) == nil) { return .network }
            return .unknown
        default:
            return .unknown
        }
    }

    /// The option letters of one short-option word, up to the first that takes an argument
    /// (`-lvp4444` is l, v, p; `-e/bin/sh` is e).
    private static func shortFlags(_ word: String) -> [Character] {
        var flags: [Character] = []
        for c in word.dropFirst() {
            flags.append(c)
            if Grammar.netcat.withArgument.contains(c) { break }
        }
        return flags
    }

    /// Which options run a program and which take an argument, for one tool family.
    struct Grammar {
        var execOptions: Set<Character>
        var withArgument: Set<Character>
        /// Long options that take an argument → whether they run a program.
        var long: [String: Bool]
        /// Long options without an argument (so the next word stays an operand).
        var longFlags: Set<String> = []

        static let netcat = Grammar(execOptions: ["e", "c"], withArgument: Set("eciIpqswWTXxOPbV"), long: [:])
        static let ncat = Grammar(execOptions: ["e", "c"], withArgument: Set("ecgGmopsiwdxDq"),
                                  long: ["--exec": true, "--sh-exec": true, "--lua-exec": true, "--source": false,
                                         "--source-port": false, "--wait": false, "--idle-timeout": false, "--proxy": false,
                                         "--proxy-type": false, "--proxy-auth": false, "--output": false, "--hex-dump": false,
                                         "--ssl-cert": false, "--ssl-key": false, "--ssl-trustfile": false, "--ssl-ciphers": false,
                                         "--ssl-servername": false, "--ssl-alpn": false, "--allow": false, "--allowfile": false,
                                         "--deny": false, "--denyfile": false, "--max-conns": false, "--delay": false],
                                  longFlags: ["--ssl", "--udp", "--sctp", "--nodns", "--verbose", "--keep-open", "--listen",
                                              "--send-only", "--recv-only", "--crlf", "--telnet", "--append-output", "--no-shutdown"])
    }

    /// getopt-style scan (GNU permutation: options may follow operands). Returns the first option
    /// that runs a program, and the operands (words that are neither options nor their arguments).
    static func getopt(_ args: [String], tool: String, grammar: Grammar) -> (match: ToolExecMatch?, operands: [String]) {
        var operands: [String] = []
        var match: ToolExecMatch?
        var i = 0
        while i < args.count {
            let a = args[i]
            i += 1
            if a == "--" { operands += args[i...]; break }
            if a.hasPrefix("--") {
                let parts = a.split(separator: "=", maxSplits: 1).map(String.init)
                let key = parts[0]
                if let runs = grammar.long[key] {
                    let value = parts.count > 1 ? parts[1] : (i < args.count ? args[i] : "")
                    if parts.count == 1 { i += 1 }
                    if runs, match == nil { match = ToolExecMatch(tool: tool, option: key, program: value) }
                }
                continue
            }
            guard a.hasPrefix("-"), a.count > 1 else { operands.append(a); continue }
            var chars = Substring(a.dropFirst())
            while let c = chars.first {
                chars = chars.dropFirst()
                guard grammar.withArgument.contains(c) else { continue }
                let value: String
                if !chars.isEmpty { value = String(chars) } else if i < args.count { value = args[i]; i += 1 } else { value = "" }
                if grammar.execOptions.contains(c), match == nil { match = ToolExecMatch(tool: tool, option: "-\(c)", program: value) }
                break
            }
        }
        return (match, operands)
    }
}
