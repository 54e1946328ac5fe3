// SPDX-License-Identifier: Apache-2.0
// `ProgramClassifier.kind(ofName:)` is a table lookup and byte comparisons (it runs for every exec
// and in several detectors per event). Held here to the obvious String version it replaced, over
// every listed name, login-shell and versioned forms, near misses and non-ASCII names.

import XCTest
@testable import RuntimeWatchCore

final class ProgramClassifierKindTests: XCTestCase {
    /// The String version: sets and prefixes in the classifier's order of precedence.
    private func referenceKind(_ raw: String) -> ProgramKind {
        let name = raw.hasPrefix("-") ? String(raw.dropFirst()) : raw
        if ProgramClassifier.shells.contains(name) { return .shell }
        if ProgramClassifier.awks.contains(name) { return .interpreter }
        for p in ProgramClassifier.interpreterPrefixes where name.hasPrefix(p) {
            let rest = name.dropFirst(p.count)
            if rest.allSatisfy({ $0.isNumber || $0 == "." }) { return .interpreter }
        }
        if ProgramClassifier.networkTools.contains(name) { return .networkTool }
        if ProgramClassifier.copyOrEncodeTools.contains(name) { return .copyOrEncodeTool }
        return .other
    }

    private var corpus: [String] {
        let listed = Array(ProgramClassifier.shells) + Array(ProgramClassifier.awks) + ProgramClassifier.interpreterPrefixes
            + Array(ProgramClassifier.networkTools) + Array(ProgramClassifier.copyOrEncodeTools)
        var names = listed
        for n in listed {
            names += ["-" + n, n + "3", n + "3.11", n + "5.36.", n + ".", n + "-tool", n + "x", n + "٣", n + "½", n + "3a",
                      String(n.dropLast()), n.uppercased(), " " + n, n + "\u{301}", "-\u{301}" + n, "--" + n]
        }
        names += ["", "-", "--", "/", "true", "ls", "Rscript4.3", "R", "R4", "Rx", "bb", "bb1.2", "node20", "nodejs18.1",
                  "pythonista-tool", "python3.11.4", "perl5.36.0", "php8.2-fpm", "lua5.4", "luajit2.1", "é", "питон3", "python\u{0}3",
                  "openssl", "-openssl", "busybox", "toybox", "exe"]
        return names
    }

    func testKindOfNameMatchesTheStringVersion() {
        for name in corpus {
            XCTAssertEqual(ProgramClassifier.kind(ofName: name), referenceKind(name), "name \(name.debugDescription)")
        }
    }

    func testListedNamesHaveTheirKinds() {
        XCTAssertEqual(ProgramClassifier.kind(ofName: "-bash"), .shell)
        XCTAssertEqual(ProgramClassifier.kind(ofName: "gawk"), .interpreter)
        XCTAssertEqual(ProgramClassifier.kind(ofName: "python3.11"), .interpreter)
        XCTAssertEqual(ProgramClassifier.kind(ofName: "pythonista-tool"), .other)
        XCTAssertEqual(ProgramClassifier.kind(ofName: "openssl"), .networkTool, "listed twice: the network tool wins")
        XCTAssertEqual(ProgramClassifier.kind(ofName: "base64"), .copyOrEncodeTool)
        XCTAssertEqual(ProgramClassifier.kind(ofName: "true"), .other)
    }
}
