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
    public static func match(name: String, argv: [String]) -> ToolExecMatch? {
        let args = Array(argv.dropFirst(name == "busybox" ? 2 : 1))
        switch name {
        case "nc", "netcat", "nc.traditional", "nc.openbsd":
            // Traditional netcat and busybox nc: -e prog, -c cmd. OpenBSD nc has neither (rejects them).
            return getopt(args, tool: name, execOptions: ["e", "c"],
                          withArgument: Set("eciIpqswWTXxOPbV"), long: [:])
        case "ncat":
            return getopt(args, tool: name, execOptions: ["e", "c"],
                          withArgument: Set("ecgGmopsiwdxDq"),
                          long: ["--exec": true, "--sh-exec": true, "--lua-exec": true])
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

    /// getopt-style scan. `execOptions` are the short options that run a program; `long` maps long
    /// options (which take an argument) to whether they run a program.
    private static func getopt(_ args: [String], tool: String, execOptions: Set<Character>,
                               withArgument: Set<Character>, long: [String: Bool]) -> ToolExecMatch? {
        var i = 0
        while i < args.count {
            let a = args[i]
            i += 1
            if a == "--" { break }
            if a.hasPrefix("--") {
                let parts = a.split(separator: "=", maxSplits: 1).map(String.init)
                let key = parts[0]
                if let runs = long[key] {
                    let value = parts.count > 1 ? parts[1] : (i < args.count ? args[i] : "")
                    if parts.count == 1 { i += 1 }
                    if runs { return ToolExecMatch(tool: tool, option: key, program: value) }
                }
                continue
            }
            guard a.hasPrefix("-"), a.count > 1 else { continue }
            var chars = Substring(a.dropFirst())
            while let c = chars.first {
                chars = chars.dropFirst()
                guard withArgument.contains(c) else { continue }
                let value: String
                if !chars.isEmpty { value = String(chars) } else if i < args.count { value = args[i]; i += 1 } else { value = "" }
                if execOptions.contains(c) { return ToolExecMatch(tool: tool, option: "-\(c)", program: value) }
                break
            }
        }
        return nil
    }
}
