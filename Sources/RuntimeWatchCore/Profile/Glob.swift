// SPDX-License-Identifier: Apache-2.0
// Shell-style globs for profile scopes and paths. `*` matches any run of characters (including `/`,
// so "registry.k8s.io/kube-proxy*" and "/var/run/secrets/**" both do what they say), `?` exactly one
// character. No classes, no escapes: profile values are names and paths, not regular expressions.
// Patterns are pre-classified so the common forms (exact, prefix*, *suffix) cost one comparison.

/// A compiled glob pattern.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private enum Form: Sendable, Hashable {
        case exact, anything, prefix(String), suffix(String), general([UInt8])
    }
    private let form: Form

    public init(_ pattern: String) {
        self.pattern = pattern
        let hasQuestion = pattern.contains("?")
        let stars = pattern.filter { $0 == "*" }.count
        if stars == 0 && !hasQuestion {
            form = .exact
        } else if !hasQuestion && pattern.allSatisfy({ $0 == "*" }) {
            form = .anything
        } else if !hasQuestion && stars == 1 && pattern.hasSuffix("*") {
            form = .prefix(String(pattern.dropLast()))
        } else if !hasQuestion && stars == 1 && pattern.hasPrefix("*") {
            form = .suffix(String(pattern.dropFirst()))
        } else {
            form = .general(Array(pattern.utf8))
        }
    }

    /// True if the whole of `text` matches the pattern.
    public func matches(_ text: String) -> Bool {
        switch form {
        case .exact: return text == pattern
        case .anything: return true
        case .prefix(let p): return text.hasPrefix(p)
        case .suffix(let s): return text.hasSuffix(s)
        case .general(let p): return Self.wildcardMatch(pattern: p, text: Array(text.utf8))
        }
    }

    public var description: String { pattern }

    /// Iterative wildcard match with single-star backtracking: O(len(text) * len(pattern)) worst case,
    /// no recursion, so hostile patterns cannot blow the stack. `?` matches one UTF-8 scalar.
    private static func wildcardMatch(pattern p: [UInt8], text t: [UInt8]) -> Bool {
        var pi = 0, ti = 0
        var starP = -1, starT = 0
        func scalarLength(at i: Int) -> Int {
            let b = t[i]
            let n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            return min(n, t.count - i)
        }
        while ti < t.count {
            if pi < p.count && p[pi] == UInt8(ascii: "?") {
                pi += 1; ti += scalarLength(at: ti)
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                starP = pi; starT = ti; pi += 1
            } else if pi < p.count && p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if starP >= 0 {
                pi = starP + 1; starT += 1; ti = starT
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
