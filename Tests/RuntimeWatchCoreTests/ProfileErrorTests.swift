// SPDX-License-Identifier: Apache-2.0
// Refused profiles name file, line, column and a reason: YAML syntax errors (from libyaml's marks)
// and schema errors (from the node marks). Each case pins the exact position.

import XCTest
@testable import RuntimeWatchCore

final class ProfileErrorTests: XCTestCase {
    func error(_ yaml: String, file: String = "bad.yaml") -> ProfileError? {
        do {
            _ = try ProfileLoader().parse(yaml, file: file)
            XCTFail("expected an error for:\n\(yaml)")
            return nil
        } catch {
            return error
        }
    }

    func testYAMLSyntaxError() {
        // An unclosed flow sequence: libyaml reports where it gave up.
        assertProfileError("version: 1\ndisable: [reverse-shell\nallow: []\n", line: 3, column: 6, contains: "YAML syntax error")
        // A key indented one column short of its entry: libyaml points at the stray key.
        assertProfileError("version: 1\nallow:\n  - rules: [reverse-shell]\n   namespace: x\n", line: 4, column: 4,
                    contains: "did not find expected '-' indicator (while parsing a block collection at line 3, column 3)")
    }

    func testDuplicateKey() {
        assertProfileError("version: 1\nversion: 1\n", line: 1, column: 1, contains: "duplicate key 'version'")
    }

    func testUnknownKeySuggestsTheClosest() {
        let yaml = """
            version: 1
            allow:
              - rules: [service-account-token-read]
                namspace: kube-system
            """
        assertProfileError(yaml, line: 4, column: 5, contains: "unknown key 'namspace' in an allow entry; did you mean 'namespace'?")
        assertProfileError("version: 1\nsetings: {}\n", line: 2, column: 1, contains: "did you mean 'settings'?")
        assertProfileError("version: 1\nsettings: {fold_window: 3}\n", line: 2, column: 12, contains: "did you mean 'fold_window_seconds'?")
    }

    func testUnknownKeyWithoutCloseMatchListsValidKeys() {
        guard let e = error("version: 1\nallow:\n  - rules: [reverse-shell]\n    colour: red\n") else { return }
        XCTAssertEqual(e.line, 4)
        XCTAssertFalse(e.reason.contains("did you mean"))
        XCTAssertTrue(e.reason.contains("valid keys: rules, namespace"), e.reason)
    }

    func testBadCIDR() {
        let yaml = """
            version: 1
            allow:
              - rules: [unexpected-outbound-connection]
                destinations:
                  - {cidr: 10.0.0.0/33, ports: "443"}
            """
        assertProfileError(yaml, line: 5, column: 16, contains: "bad CIDR '10.0.0.0/33'")
        assertProfileError("version: 1\nsettings:\n  kubernetes_api: {cidrs: [10.96.0.1, nope]}\n", line: 3, column: 39, contains: "bad CIDR 'nope'")
    }

    func testBadPortRange() {
        let yaml = """
            version: 1
            allow:
              - rules: [unexpected-outbound-connection]
                destinations:
                  - cidr: 10.0.0.0/8
                    ports: "443,9000-8000"
            """
        assertProfileError(yaml, line: 6, column: 16, contains: "bad port range '443,9000-8000': range 9000-8000 has its low end above its high end")
        assertProfileError("version: 1\nsettings: {kubernetes_api: {ports: 70000}}\n", line: 2, column: 36, contains: "port 70000 is out of range")
        assertProfileError("version: 1\nsettings: {kubernetes_api: {ports: \"443,,80\"}}\n", line: 2, column: 36, contains: "empty item")
        assertProfileError("version: 1\nsettings: {kubernetes_api: {ports: \"https\"}}\n", line: 2, column: 36, contains: "\"https\" is not a port")
    }

    func testUnknownRuleID() {
        let yaml = """
            version: 1
            allow:
              - rules: [service-account-token-read, reverse-shel]
            """
        assertProfileError(yaml, line: 3, column: 41, contains: "unknown rule id 'reverse-shel'; did you mean 'reverse-shell'?")
        assertProfileError("version: 1\ndisable:\n  - totally-unknown\n", line: 3, column: 5, contains: "unknown rule id 'totally-unknown'")
    }

    func testWrongTypes() {
        assertProfileError("version: one\n", line: 1, column: 10, contains: "'version' must be an integer, found the string \"one\"")
        assertProfileError("version: 2\n", line: 1, column: 10, contains: "unsupported profile version 2")
        assertProfileError("disable: []\n", line: 1, column: 1, contains: "missing required key 'version'")
        assertProfileError("- a\n- b\n", line: 1, column: 1, contains: "the profile must be a mapping")
        assertProfileError("version: 1\nallow: {rules: x}\n", line: 2, column: 8, contains: "'allow' must be a list")
        assertProfileError("version: 1\nallow:\n  - rules: [reverse-shell]\n    host: yes-please\n", line: 4, column: 11, contains: "'host' must be true or false")
        assertProfileError("version: 1\nallow:\n  - rules: [reverse-shell]\n    namespace: [a, b]\n", line: 4, column: 16, contains: "'namespace' must be a string, found a list")
        assertProfileError("version: 1\nallow:\n  - rules: [reverse-shell]\n    namespace:\n", line: 4, column: 15, contains: "found null")
        assertProfileError("version: 1\nsettings: {fold_window_seconds: -1}\n", line: 2, column: 33, contains: "between 0 and 86400")
        assertProfileError("version: 1\nallow:\n  - namespace: x\n", line: 3, column: 5, contains: "allow entry has no 'rules'")
        assertProfileError("version: 1\nallow:\n  - rules: []\n", line: 3, column: 12, contains: "'rules' is empty")
    }

    func testHostEntriesCannotBeScopedByPod() {
        assertProfileError("version: 1\nallow:\n  - rules: [reverse-shell]\n    host: true\n    pod: x\n", line: 5, column: 10,
                    contains: "'pod' cannot scope a host entry")
    }

    func testDestinationShape() {
        assertProfileError("version: 1\nallow:\n  - rules: [reverse-shell]\n    destinations: [{ports: \"1\"}]\n", line: 4, column: 20,
                    contains: "destination needs 'cidr' or 'host'")
        assertProfileError("version: 1\nallow:\n  - rules: [reverse-shell]\n    destinations: [{cidr: 10.0.0.0/8, host: a}]\n", line: 4, column: 20,
                    contains: "both 'cidr' and 'host'")
    }

    func testGarbageNeverCrashes() {
        let inputs = ["\u{0}", "{{{{", "version: 1\nallow: [[[", "&a [*a]", "version: *undefined", ": : :", "\t\tversion: 1",
                      String(repeating: "[", count: 2000), "version: 1\nallow:\n  - !!binary AAAA\n", "version: 99999999999999999999999"]
        for input in inputs {
            XCTAssertThrowsError(try ProfileLoader().parse(input, file: "fuzz.yaml"), input.debugDescription) { error in
                XCTAssertTrue(error is ProfileError)
                XCTAssertEqual((error as? ProfileError)?.file, "fuzz.yaml")
            }
        }
    }
}
