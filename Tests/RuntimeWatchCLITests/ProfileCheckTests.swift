// SPDX-License-Identifier: Apache-2.0
// `profile check`: a good profile passes, a broken one fails with `file:line:column: reason`
// pointing at the offending spot, as editors and CI annotations expect.

import Foundation
import XCTest

final class ProfileCheckTests: CLITestCase {
    func testValidProfilePasses() throws {
        let profile = try write("good.yaml", """
            version: 1
            disable: [internal-event-drop]
            settings:
              kubernetes_api:
                cidrs: [10.96.0.1/32]
                ports: "443,6443"
            allow:
              - rules: [reverse-shell]
                host: true
                executable: /usr/bin/dash
                reason: "lab shell"
              - rules: [unexpected-outbound-connection]
                namespace: "prod-*"
                destinations:
                  - {cidr: 192.0.2.0/24, ports: "443"}
            """)
        let result = try AssertExecuteCommand(["profile", "check", profile], expectedStderr: "")
        XCTAssertTrue(result.stdout.contains("ok: \(profile): 2 allow entries, 1 disabled rules"), result.stdout)
    }

    func testEmbeddedDefaultShownByProfileShowPasses() throws {
        let shown = try AssertExecuteCommand(["profile", "show"])
        let file = try write("default.yaml", shown.stdout)
        try AssertExecuteCommand(["profile", "check", file])
    }

    /// Asserts a failed check whose stderr names `file:line:column:` and whose reason mentions `words`.
    private func assertRefused(_ file: String, line: Int, column: Int, mentioning words: [String],
                               sourceFile: StaticString = #filePath, sourceLine: UInt = #line) throws {
        let result = try AssertExecuteCommand(["profile", "check", file], expectedExitCode: 1, file: sourceFile, line: sourceLine)
        XCTAssertFalse(result.stdout.contains("ok:"), result.stdout, file: sourceFile, line: sourceLine)
        XCTAssertTrue(result.stderr.contains("\(file):\(line):\(column): "),
                      "expected \(file):\(line):\(column): in stderr:\n\(result.stderr)", file: sourceFile, line: sourceLine)
        for word in words {
            XCTAssertTrue(result.stderr.contains(word), "reason lacks \"\(word)\":\n\(result.stderr)", file: sourceFile, line: sourceLine)
        }
    }

    func testBadIndentationNamesLineAndColumn() throws {
        // Line 4 is indented deeper than its sibling on line 3: not valid YAML.
        let file = try write("indent.yaml", """
            version: 1
            allow:
              - rules: [reverse-shell]
                  host: true
            """)
        try assertRefused(file, line: 4, column: 7, mentioning: ["YAML"])
    }

    func testUnknownKeyNamesLineColumnAndSuggestion() throws {
        let file = try write("unknown-key.yaml", """
            version: 1
            allow:
              - rules: [reverse-shell]
                host: true
                executabel: /usr/bin/dash
            """)
        try assertRefused(file, line: 5, column: 5, mentioning: ["executabel", "executable"])
    }

    func testBadCIDRNamesLineAndColumn() throws {
        let file = try write("bad-cidr.yaml", """
            version: 1
            allow:
              - rules: [unexpected-outbound-connection]
                destinations:
                  - {cidr: 10.0.0.0/33, ports: "443"}
            """)
        try assertRefused(file, line: 5, column: 16, mentioning: ["10.0.0.0/33", "CIDR"])
    }

    func testUnknownRuleIDSuggestsTheRightOne() throws {
        let file = try write("bad-rule.yaml", """
            version: 1
            disable: [reverse-shel]
            """)
        try assertRefused(file, line: 2, column: 11, mentioning: ["reverse-shel", "reverse-shell"])
    }

    func testMissingFileIsAnError() throws {
        let result = try AssertExecuteCommand(["profile", "check", path("absent.yaml")], expectedExitCode: 1)
        XCTAssertTrue(result.stderr.contains("absent.yaml"), result.stderr)
    }
}
