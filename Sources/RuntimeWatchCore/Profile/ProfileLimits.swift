// SPDX-License-Identifier: Apache-2.0
// The bounds on one profile document, so a small hostile file (a ConfigMap anyone with edit rights
// can change) cannot cost the privileged monitor gigabytes or minutes on load or on SIGHUP reload.
// Each bound is refused with `file:line:column: reason` (or `file: reason` for the file itself).

import Yams

public enum ProfileLimits {
    /// Largest profile file read, in bytes: 1 MiB, the size limit of a Kubernetes ConfigMap.
    public static let maxFileBytes = 1 << 20
    /// Most YAML nodes a document may hold once aliases are expanded (each `*alias` counts as a full
    /// copy of what its anchor names). 100,000 is about 50 times the largest learned profile seen,
    /// and loads in well under a second; 10,000 aliases of a 10,000-path list (10^8) is refused.
    public static let maxExpandedNodes = 100_000
    /// Longest glob pattern, in UTF-8 bytes (see `Glob.maxPatternBytes`).
    public static let maxPatternBytes = Glob.maxPatternBytes

    /// Counts the nodes of `root` as the schema reader will visit them, stopping at the bound.
    /// - Throws: a ProfileError at the innermost collection written in the file (not inside an
    ///   alias copy) that holds the node over the bound.
    static func checkExpandedSize(of root: Node, file: String) throws(ProfileError) {
        var walk = ExpansionWalk()
        if let place = walk.visit(root, place: root.mark) {
            throw ProfileError(file: file, line: place?.line, column: place?.column,
                               reason: "aliases expand this to more than \(maxExpandedNodes) YAML nodes, the limit for a profile (each alias counts as a copy of its anchor); write the entries out or use fewer aliases")
        }
    }

    /// A depth-first walk in document order. A node whose mark is not after the last mark seen is
    /// an alias copy (anchors come before their aliases, and Yams gives a copy its anchor's mark).
    private struct ExpansionWalk {
        var count = 0
        var last: (line: Int, column: Int) = (0, 0)

        /// - Returns: nil when within the bound, else `.some(place)` where the bound was crossed.
        mutating func visit(_ node: Node, place: Mark?) -> Mark?? {
            count += 1
            var here = place
            if let mark = node.mark, (mark.line, mark.column) > last {
                last = (mark.line, mark.column)
                if case .scalar = node {} else { here = mark }
            }
            if count > ProfileLimits.maxExpandedNodes { return .some(here) }
            switch node {
            case .sequence(let seq):
                for item in seq { if let over = visit(item, place: here) { return over } }
            case .mapping(let map):
                for (key, value) in map {
                    if let over = visit(key, place: here) { return over }
                    if let over = visit(value, place: here) { return over }
                }
            case .scalar, .alias:
                break
            }
            return nil
        }
    }
}
