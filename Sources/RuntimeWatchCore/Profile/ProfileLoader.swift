// SPDX-License-Identifier: Apache-2.0
// YAML → Profile. Uses Yams' node API (`compose`) rather than Codable because nodes carry their
// line and column, so every schema error (unknown key, wrong type, bad CIDR, bad port range, unknown
// rule id) names the exact place, as YAML syntax errors do. Never crashes on bad input: everything
// that is not understood becomes a `ProfileError`.

import Foundation
import Yams

/// Resolves a host name to numeric address strings. Injected so Core never touches the network;
/// the CLI passes a getaddrinfo-backed one. Throwing or returning [] both mean "did not resolve".
public typealias HostResolver = @Sendable (String) throws -> [String]

/// One profile text and the name it is reported under.
public struct ProfileSource: Sendable, Hashable {
    public var name: String
    public var text: String
    public init(name: String, text: String) { self.name = name; self.text = text }
}

public struct ProfileLoader: Sendable {
    /// The name the compiled-in default profile is reported under.
    public static let embeddedDefaultName = "<embedded default>"
    /// A resolver that resolves nothing (host destinations then match nothing, with a warning).
    public static let noResolver: HostResolver = { _ in [] }

    /// Rule ids a profile may name; anything else is an error (a typo would silently allow nothing).
    public var knownRuleIDs: Set<String>
    public var resolver: HostResolver

    public init(knownRuleIDs: Set<String> = RuleCatalog.builtin.ruleIDs, resolver: @escaping HostResolver = ProfileLoader.noResolver) {
        self.knownRuleIDs = knownRuleIDs
        self.resolver = resolver
    }

    /// Parses one profile document.
    /// - Returns: the profile; an empty document gives the empty profile.
    /// - Throws: `ProfileError` naming `file`, line, column and reason.
    public func parse(_ text: String, file: String) throws(ProfileError) -> Profile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw Self.syntaxError(error, file: file, text: text)
        }
        if let root { try ProfileLimits.checkExpandedSize(of: root, file: file) }
        var reader = ProfileSchemaReader(file: file, knownRuleIDs: knownRuleIDs, resolver: resolver)
        return try reader.profile(from: root)
    }

    /// Parses the sources in order, each extending the ones before (see `Profile.merged(with:)`).
    public func load(_ sources: [ProfileSource]) throws(ProfileError) -> Profile {
        var profile = Profile()
        for source in sources { profile = profile.merged(with: try parse(source.text, file: source.name)) }
        return profile
    }

    /// Reads and parses `paths` in order, after the embedded default when `includeEmbeddedDefault`.
    public func load(files paths: [String], includeEmbeddedDefault: Bool = true) throws(ProfileError) -> Profile {
        var sources: [ProfileSource] = []
        if includeEmbeddedDefault { sources.append(ProfileSource(name: Self.embeddedDefaultName, text: DefaultProfile.yaml)) }
        for path in paths { sources.append(try Self.read(path: path)) }
        return try load(sources)
    }

    /// The compiled-in default profile, parsed.
    public func embeddedDefault() throws(ProfileError) -> Profile {
        try parse(DefaultProfile.yaml, file: Self.embeddedDefaultName)
    }

    /// Reads a profile file as UTF-8. Only a regular file (after symlinks, as ConfigMap mounts use)
    /// of at most `ProfileLimits.maxFileBytes` is read: a FIFO would block the reload, a device
    /// could be endless.
    /// - Throws: `ProfileError` without line naming why the file cannot be used.
    public static func read(path: String) throws(ProfileError) -> ProfileSource {
        func refuse(_ reason: String) -> ProfileError { ProfileError(file: path, line: nil, column: nil, reason: reason) }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw refuse(errno == ENOENT ? "no such file" : "cannot read the file: \(String(cString: strerror(errno)))")
        }
        let type = info.st_mode & S_IFMT
        guard type != S_IFDIR else { throw refuse("is a directory, not a profile file") }
        guard type == S_IFREG else { throw refuse("not a regular file (\(fileTypeName(type))); a profile is a YAML file") }
        guard info.st_size <= ProfileLimits.maxFileBytes else {
            throw refuse("the file is \(info.st_size) bytes, over the \(ProfileLimits.maxFileBytes)-byte limit for a profile")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw refuse("cannot read the file: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // Read one byte past the bound, so a file that grew since stat is still refused.
        var data = [UInt8](repeating: 0, count: ProfileLimits.maxFileBytes + 1)
        var filled = 0
        while filled < data.count {
            let n = data.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw refuse("cannot read the file: \(String(cString: strerror(errno)))")
            }
            filled += n
        }
        guard filled <= ProfileLimits.maxFileBytes else {
            throw refuse("the file is over the \(ProfileLimits.maxFileBytes)-byte limit for a profile")
        }
        guard let text = String(validating: data[..<filled], as: UTF8.self) else {
            throw refuse("the file is not UTF-8 text")
        }
        return ProfileSource(name: path, text: text)
    }

    private static func fileTypeName(_ type: mode_t) -> String {
        switch type {
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "type \(type)"
        }
    }

    /// Maps a Yams error to a ProfileError at the mark libyaml reported.
    static func syntaxError(_ error: any Error, file: String, text: String) -> ProfileError {
        guard let yamlError = error as? YamlError else {
            return ProfileError(file: file, line: nil, column: nil, reason: "YAML error: \(error)")
        }
        func during(_ context: YamlError.Context?) -> String {
            guard let context else { return "" }
            return " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return ProfileError(file: file, line: mark.line, column: mark.column,
                                reason: "YAML syntax error: \(problem)\(during(context))")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return ProfileError(file: file, line: context.mark.line, column: context.mark.column,
                                reason: "duplicate key \(keys) in the same mapping")
        case .reader(let problem, let offset, _, _):
            var line: Int?, column: Int?
            if let offset {
                let prefix = text.prefix(offset)
                line = prefix.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
                column = prefix.count - (prefix.lastIndex(of: "\n").map { prefix.distance(from: prefix.startIndex, to: $0) + 1 } ?? 0) + 1
            }
            return ProfileError(file: file, line: line, column: column, reason: "YAML reader error: \(problem)")
        default:
            return ProfileError(file: file, line: nil, column: nil, reason: "YAML error: \(yamlError)")
        }
    }
}
