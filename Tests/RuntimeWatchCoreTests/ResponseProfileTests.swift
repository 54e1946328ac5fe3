// SPDX-License-Identifier: Apache-2.0
// The profile's `responses:` section: parsed values, layering, and refusals with
// file:line:column and a reason.

import XCTest
@testable import RuntimeWatchCore

final class ResponseProfileTests: XCTestCase {
    func testParsesRulesAndNamespaces() throws {
        let yaml = """
            version: 1
            responses:
              rules:
                service-account-token-read: {respond: freeze}
                reverse-shell: {respond: kill, respond_dry_run: true}
              namespaces_allowed: [kube-system]
            """
        let s = try ProfileLoader().parse(yaml, file: "p.yaml").responses
        XCTAssertEqual(s.rules["service-account-token-read"], RuleResponse(action: .freeze, dryRun: false))
        XCTAssertEqual(s.rules["reverse-shell"], RuleResponse(action: .kill, dryRun: true))
        XCTAssertNil(s.rules["bind-shell"])
        XCTAssertTrue(s.configuresKill)
        XCTAssertTrue(s.mayTouch(namespace: "kube-system"))
        XCTAssertFalse(s.mayTouch(namespace: "kube-public"), "only the named protected namespace is opened")
        XCTAssertTrue(s.mayTouch(namespace: "shop"))
    }

    func testNoSectionMeansNoResponseAndKubeSystemProtected() throws {
        let s = try ProfileLoader().parse("version: 1\n", file: "p.yaml").responses
        XCTAssertTrue(s.rules.isEmpty)
        XCTAssertFalse(s.configuresKill)
        XCTAssertFalse(s.mayTouch(namespace: "kube-system"))
        XCTAssertTrue(s.mayTouch(namespace: nil), "a container outside pods is not in a protected namespace")
    }

    func testLayering() throws {
        let base = try ProfileLoader().parse("version: 1\nresponses: {rules: {reverse-shell: {respond: kill}, bind-shell: {respond: freeze}}}\n", file: "a.yaml")
        let later = try ProfileLoader().parse("version: 1\nresponses: {rules: {reverse-shell: {respond: freeze, respond_dry_run: true}}, namespaces_allowed: kube-system}\n", file: "b.yaml")
        let merged = base.merged(with: later).responses
        XCTAssertEqual(merged.rules["reverse-shell"], RuleResponse(action: .freeze, dryRun: true), "the later file replaces the rule's response")
        XCTAssertEqual(merged.rules["bind-shell"], RuleResponse(action: .freeze))
        XCTAssertFalse(merged.configuresKill)
        XCTAssertTrue(merged.mayTouch(namespace: "kube-system"))
    }

    func testMalformedRespondIsRefusedWithLocation() {
        assertProfileError("version: 1\nresponses:\n  rules:\n    reverse-shell: {respond: freez}\n",
                    line: 4, column: 30, contains: "unknown response 'freez'; did you mean 'freeze'?")
        assertProfileError("version: 1\nresponses:\n  rules:\n    reverse-shell: {respond_dry_run: true}\n",
                    line: 4, column: 20, contains: "has no 'respond'")
        assertProfileError("version: 1\nresponses:\n  rules:\n    reverse-shell: {respond: kill, respond_dry_run: yes please}\n",
                    line: 4, column: 53, contains: "'respond_dry_run' must be true or false")
        assertProfileError("version: 1\nresponses:\n  rules:\n    reverse-shel: {respond: kill}\n",
                    line: 4, column: 5, contains: "unknown rule id 'reverse-shel'")
        assertProfileError("version: 1\nresponses:\n  rules:\n    k8s-secret-read: {respond: freeze}\n",
                    line: 4, column: 5, contains: "cannot have a response")
        assertProfileError("version: 1\nresponses:\n  rules:\n    response-taken: {respond: freeze}\n",
                    line: 4, column: 5, contains: "cannot have a response")
        assertProfileError("version: 1\nresponses:\n  rules: [reverse-shell]\n",
                    line: 3, column: 10, contains: "must map rule ids")
        assertProfileError("version: 1\nresponses:\n  namespaces_allowed: [shop]\n",
                    line: 3, column: 24, contains: "'shop' is not a protected namespace")
        assertProfileError("version: 1\nresponses:\n  rule: {}\n",
                    line: 3, column: 3, contains: "unknown key 'rule' in 'responses'")
    }
}
