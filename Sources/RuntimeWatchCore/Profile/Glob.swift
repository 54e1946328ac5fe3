// SPDX-License-Identifier: Apache-2.0
// Shell-style globs for profile scopes and paths. `*` matches any run of characters (including `/`,
// so "registry.k8s.io/kube-proxy*" and "/var/run/secrets/**" both do what they say), `?` exactly one
// character. No classes, no escapes: profile values are names and paths, not regular expressions.
// Patterns are pre-classified so the common forms (exact, prefix*, *suffix) cost one comparison.
// The general form runs every pattern position at once (a bit-parallel automaton), so a match costs
// subject length × ⌈pattern length / 64⌉ word operations whatever the pattern: no backtracking.

/// A compiled glob pattern.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    /// The longest pattern a profile may hold, in UTF-8 bytes (PATH_MAX: no longer path exists).
    /// The loader refuses longer ones; `Glob` itself accepts any length and stays linear in it.
    public static let maxPatternBytes = 4096

    public let pattern: String
    private enum Form: Sendable, Hashable {
        case exact, anything, prefix(String), suffix(String), general(Automaton)
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
            form = .general(Automaton(pattern))
        }
    }

    /// True if the whole of `text` matches the pattern.
    public func matches(_ text: String) -> Bool {
        switch form {
        case .exact: return text == pattern
        case .anything: return true
        case .prefix(let p): return text.hasPrefix(p)
        case .suffix(let s): return text.hasSuffix(s)
        case .general(let automaton): return automaton.matches(text)
        }
    }

    public var description: String { pattern }
}

/// The glob as a nondeterministic automaton over Unicode scalars, simulated with bit sets. State i
/// means "the first i tokens matched"; a literal or `?` token advances on a scalar, a `*` token
/// stays on any scalar and also lets the next state start at once (it may match nothing). Runs of
/// `*` are one token, so that closure is a single shift.
private struct Automaton: Sendable, Hashable {
    /// Tokens: nil is `*`; a scalar value is a literal; `questionMark` is `?`.
    private static let questionMark: UInt32 = .max
    /// Number of states (tokens + 1) and 64-bit words per state set.
    private let states: Int
    private let words: Int
    /// Per literal scalar: the states whose token is that scalar or `?` (bit i = token i).
    private let literalMasks: [UInt32: [UInt64]]
    /// The states whose token is `?` (what any scalar not in the pattern can advance).
    private let questionMask: [UInt64]
    /// The states whose token is `*`.
    private let starMask: [UInt64]

    init(_ pattern: String) {
        var tokens: [UInt32?] = []
        for scalar in pattern.unicodeScalars {
            switch scalar {
            case "*": if let last = tokens.last, last == nil { continue } else { tokens.append(nil) }
            case "?": tokens.append(Self.questionMark)
            default: tokens.append(scalar.value)
            }
        }
        states = tokens.count + 1
        words = (states + 63) / 64
        var question = [UInt64](repeating: 0, count: words)
        var star = [UInt64](repeating: 0, count: words)
        var literals: [UInt32: [UInt64]] = [:]
        for (i, token) in tokens.enumerated() {
            let bit = UInt64(1) << UInt64(i % 64)
            switch token {
            case nil: star[i / 64] |= bit
            case Self.questionMark?: question[i / 64] |= bit
            case let value?: literals[value, default: [UInt64](repeating: 0, count: words)][i / 64] |= bit
            }
        }
        for key in literals.keys { for w in 0..<words { literals[key]![w] |= question[w] } }
        literalMasks = literals
        questionMask = question
        starMask = star
    }

    func matches(_ text: String) -> Bool {
        var active = [UInt64](repeating: 0, count: words)
        var next = [UInt64](repeating: 0, count: words)
        active[0] = 1
        closeOverStars(&active)
        for scalar in text.unicodeScalars {
            let advancing = literalMasks[scalar.value] ?? questionMask
            var carry: UInt64 = 0
            var any: UInt64 = 0
            for w in 0..<words {
                let a = active[w]
                // Advance states whose token accepts the scalar (shift by one state), keep `*` states.
                next[w] = ((a & advancing[w]) << 1 | carry) | (a & starMask[w])
                carry = (a & advancing[w]) >> 63
                any |= next[w]
            }
            if any == 0 { return false }
            closeOverStars(&next)
            swap(&active, &next)
        }
        let last = states - 1
        return active[last / 64] & (UInt64(1) << UInt64(last % 64)) != 0
    }

    /// An active `*` state also activates the state after it (the star matching nothing).
    private func closeOverStars(_ set: inout [UInt64]) {
        var carry: UInt64 = 0
        for w in 0..<words {
            let stars = set[w] & starMask[w]
            set[w] |= stars << 1 | carry
            carry = stars >> 63
        }
    }
}
