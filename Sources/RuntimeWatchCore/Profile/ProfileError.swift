// SPDX-License-Identifier: Apache-2.0
// Why a profile was refused, and where: file, line, column and a reason a person can act on. The
// running profile stays in force when a reload fails, so this message is all the operator gets.

public struct ProfileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file name as given to the loader ("<embedded default>" for the compiled-in profile).
    public var file: String
    /// 1-based line, nil when the problem is not at a place in the text (unreadable file).
    public var line: Int?
    /// 1-based column (Unicode scalars, as libyaml counts), nil with `line`.
    public var column: Int?
    public var reason: String

    public init(file: String, line: Int?, column: Int?, reason: String) {
        self.file = file; self.line = line; self.column = column; self.reason = reason
    }

    /// `file:line:column: reason`, the form editors and CI annotate.
    public var description: String {
        if let line, let column { return "\(file):\(line):\(column): \(reason)" }
        if let line { return "\(file):\(line): \(reason)" }
        return "\(file): \(reason)"
    }
}

/// Suggestions for misspelt keys and rule ids.
enum ClosestMatch {
    /// The candidate nearest to `word` by edit distance, if it is close enough to be a likely typo
    /// (distance at most 2, or a third of the word for long words); failing that, the one candidate
    /// that starts with `word` (a truncated key such as `fold_window`).
    static func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
        let limit = max(2, word.count / 3)
        var best: (String, Int)?
        let sorted = candidates.sorted()
        let extending = word.count >= 4 ? sorted.filter { $0.lowercased().hasPrefix(word.lowercased()) } : []
        for c in sorted {
            let d = editDistance(word.lowercased(), c.lowercased())
            if d <= limit, d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best?.0 ?? (extending.count == 1 ? extending[0] : nil)
    }

    /// Levenshtein distance over Characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// " (did you mean 'x'?)" or "".
    static func hint(for word: String, among candidates: some Sequence<String>) -> String {
        suggestion(for: word, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }
}
