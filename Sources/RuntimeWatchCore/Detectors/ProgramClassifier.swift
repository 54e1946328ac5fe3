// SPDX-License-Identifier: Apache-2.0
// What kind of program a process runs: a shell, an interpreter, a network tool, a copy/encode tool.
// Decided from the executable path AND argv[0] (busybox and multi-call binaries are one exe with many
// names), never from `comm` alone, which any process can set.

public enum ProgramKind: String, Sendable, Hashable, Codable {
    case shell, interpreter, networkTool, copyOrEncodeTool, other
}

public enum ProgramClassifier {
    static let shells: Set<String> = ["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "pdksh", "yash", "fish", "tcsh", "csh", "rbash", "hush"]
    static let interpreterPrefixes = ["python", "perl", "ruby", "php", "lua", "node", "nodejs", "tclsh", "pwsh", "irb", "jruby", "luajit",
                                      "Rscript", "R", "wish", "expect", "guile", "bb"]
    static let awks: Set<String> = ["awk", "gawk", "mawk", "nawk", "busybox-awk"]
    static let networkTools: Set<String> = ["nc", "netcat", "ncat", "nc.openbsd", "nc.traditional", "socat", "telnet", "curl", "wget", "openssl", "ssh", "scp", "sftp", "ftp", "tftp", "rsync", "nmap"]
    static let copyOrEncodeTools: Set<String> = ["cat", "head", "tail", "dd", "cp", "mv", "base64", "base32", "xxd", "od", "hexdump", "tar", "gzip", "zip", "strings", "less", "more", "tee", "sed", "grep", "cut", "tr", "install", "rev", "basenc", "uuencode", "openssl"]

    /// The program name that decides behaviour: argv[0]'s base name for multi-call binaries
    /// (busybox, toybox), otherwise the executable's base name, falling back to argv[0] and comm.
    public static func effectiveName(exe: String?, argv: [String]?, comm: String? = nil) -> String? {
        guard let exe else { return argv?.first.map(baseName) ?? comm }
        let exeBase = baseName(exe)
        // argv[0] decides only for a multi-call binary: not computed for any other.
        guard exeBase == "busybox" || exeBase == "toybox" else { return exeBase }
        let argv0 = argv?.first.map(baseName)
        // `busybox sh -c …` names the applet in argv[1].
        if argv0 == "busybox" || argv0 == "toybox", let applet = argv?.dropFirst().first { return baseName(applet) }
        return argv0 ?? exeBase
    }

    /// Every listed name and its kind, in the order `kind(ofName:)` decides: a shell before an awk
    /// before a network tool before a copy tool ("openssl" is both of the last two: a network tool).
    static let kindsByName: [String: ProgramKind] = {
        var table: [String: ProgramKind] = [:]
        for (names, kind) in [(copyOrEncodeTools, ProgramKind.copyOrEncodeTool), (networkTools, .networkTool), (awks, .interpreter), (shells, .shell)] {
            for name in names { table[name] = kind }
        }
        return table
    }()

    /// The interpreter prefixes as bytes, compared without String's Unicode rules.
    private static let interpreterPrefixBytes: [[UInt8]] = interpreterPrefixes.map { Array($0.utf8) }

    /// What a program named `raw` is. Runs for every exec and in several detectors per event, so it
    /// is one table lookup and a byte comparison per interpreter prefix.
    public static func kind(ofName raw: String) -> ProgramKind {
        // Login shells: "-bash". The byte test first; hasPrefix (a Character test) only when it passes.
        let name = raw.utf8.first == UInt8(ascii: "-") && raw.hasPrefix("-") ? String(raw.dropFirst()) : raw
        let listed = kindsByName[name]
        if listed == .shell || listed == .interpreter { return listed! }
        if isVersionedInterpreter(name) { return .interpreter }
        return listed ?? .other
    }

    /// An interpreter prefix followed only by digits and dots: python3, python3.11, perl5.36,
    /// php8.2, lua5.4 — but not "pythonista-tool".
    private static func isVersionedInterpreter(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            for prefix in interpreterPrefixBytes where bytes.count >= prefix.count && bytes.starts(with: prefix) {
                var asciiVersion = true
                for b in bytes[prefix.count...] where !(b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) && b != UInt8(ascii: ".") {
                    asciiVersion = false
                    break
                }
                if asciiVersion { return true }
                // Past the prefix (itself ASCII) is something else: a number in another script
                // ("python٣") counts as Character.isNumber does; anything else does not.
                let rest = String(decoding: bytes[prefix.count...], as: UTF8.self)
                if rest.utf8.contains(where: { $0 >= 0x80 }), rest.allSatisfy({ $0.isNumber || $0 == "." }) { return true }
            }
            return false
        }
    }

    public static func kind(of info: ProcessInfo) -> ProgramKind {
        let program = info.program
        return info.source == "inherited" && program.forkName != nil ? program.forkKind : program.execKind
    }

    /// The name that decides what `info` runs (see `ProgramIdentity`). Kept with the process's
    /// image, worked out once per exe, argv and comm.
    public static func name(of info: ProcessInfo) -> String? {
        let program = info.program
        return info.source == "inherited" ? program.forkName ?? program.execName : program.execName
    }

    /// A shell or an interpreter: something that can run commands it reads.
    public static func isShellOrInterpreter(_ info: ProcessInfo) -> Bool {
        switch kind(of: info) {
        case .shell, .interpreter: true
        default: false
        }
    }

    /// Flags after which an interpreter's argument is code (built once, not per call).
    static let inlineCodeFlags: Set<String> = ["-c", "-e", "-E", "-r", "--eval", "-p", "--print"]

    /// An interpreter running inline code (`python3 -c …`, `perl -e …`, `ruby -e`, `node -e`, `php -r`,
    /// `lua -e`, awk with a program text) rather than a script file.
    public static func isOneLiner(_ info: ProcessInfo) -> Bool {
        guard kind(of: info) == .interpreter, let argv = info.argv else { return false }
        for a in argv.dropFirst() {
            if inlineCodeFlags.contains(a) { return true }
            // combined short flags such as `python3 -Sc code` or `perl -MIO -e`
            if a.hasPrefix("-"), !a.hasPrefix("--"), a.count > 2, a.last == "c" || a.last == "e" { return true }
        }
        if let name = name(of: info), awks.contains(name) {
            return argv.dropFirst().contains { !$0.hasPrefix("-") }
        }
        return false
    }

    /// Whether a shell or interpreter takes its commands from standard input (what a reverse shell's
    /// `sh`, `sh -i`, `bash -li`, `python3 -i` do) rather than from a command string or a script
    /// (`sh -c "git status"` from node's `exec()`, `python3 worker.py` under a supervisor).
    /// - Returns: true when argv has no `-c`/`-e`-style command, no script operand, or asks for
    ///   stdin explicitly (`-i`, `-s`, `-`); also true when argv is unknown (capture lost the race),
    ///   so a lost read never hides a shell. False for everything else, and for awk (its program is
    ///   always an argument).
    public static func readsCommandsFromInput(_ info: ProcessInfo) -> Bool {
        guard let argv = info.argv else { return true }
        let k = kind(of: info)
        guard k == .shell || k == .interpreter else { return false }
        if let name = name(of: info), awks.contains(name) { return false }
        if isOneLiner(info) { return false }
        let shortFlags = argv.dropFirst().filter { $0.hasPrefix("-") && !$0.hasPrefix("--") && $0.count > 1 }
        if k == .shell, shortFlags.contains(where: { $0.dropFirst().contains("c") }) { return false }
        for a in argv.dropFirst() {
            if a == "-" || a == "--" { return true }
            if a.hasPrefix("-") {
                if !a.hasPrefix("--"), a.dropFirst().contains(where: { $0 == "i" || $0 == "s" }) { return true }
                continue
            }
            return false   // a script (or a module after -m): commands come from there
        }
        return true
    }

    public static func baseName(_ path: String) -> String {
        // Byte search (Character search walks grapheme clusters). A "/" byte between ASCII bytes is
        // a Character of its own, so the answer is the same; otherwise ask the Character view.
        let bytes = path.utf8
        if let slash = bytes.lastIndex(of: UInt8(ascii: "/")) {
            let after = bytes.index(after: slash)
            let nextIsASCII = after == bytes.endIndex || bytes[after] < 0x80
            let previousIsASCII = slash == bytes.startIndex || bytes[bytes.index(before: slash)] < 0x80
            if nextIsASCII && previousIsASCII { return String(path[after...]) }
        } else {
            return path
        }
        if let slash = path.lastIndex(of: "/") { return String(path[path.index(after: slash)...]) }
        return path
    }
}

/// The names that decide what a process image runs, and their kinds, worked out together once per
/// image (`ProcessInfo.program`).
///
/// Two names, because which one decides depends on the process, not on the image: a forked child
/// that has not exec'd (`source == "inherited"`) carries its parent's exe and argv, and its `comm` is
/// the only thing that follows it when busybox runs an applet in the fork without exec (`id`, `cat`
/// under busybox sh), so comm decides for those. Except when comm only names the binary file:
/// busybox sh re-executes itself as /proc/self/exe (comm "exe"), and a busybox run by its own name has
/// comm "busybox".
struct ProgramIdentity: Sendable {
    /// `ProgramClassifier.effectiveName`: what an exec'd process runs.
    let execName: String?
    let execKind: ProgramKind
    /// comm, when it may name an applet run in a fork; nil when it only names the binary file.
    let forkName: String?
    let forkKind: ProgramKind

    init(exe: String?, argv: [String]?, comm: String?) {
        execName = ProgramClassifier.effectiveName(exe: exe, argv: argv, comm: comm)
        execKind = execName.map(ProgramClassifier.kind(ofName:)) ?? .other
        if let comm, !comm.isEmpty, comm != "exe", comm != "busybox", comm != "toybox" {
            forkName = comm
            // Usually comm is the exec'd name (cut to 15 bytes): its kind is known already.
            forkKind = comm == execName ? execKind : ProgramClassifier.kind(ofName: comm)
        } else {
            forkName = nil
            forkKind = .other
        }
    }
}
