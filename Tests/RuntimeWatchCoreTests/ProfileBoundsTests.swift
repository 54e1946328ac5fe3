// SPDX-License-Identifier: Apache-2.0
// A hostile profile costs bounded time and memory: alias expansion, file size and type, pattern
// length, and glob matching (no backtracking). Each refusal names file, line, column and why.

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class ProfileBoundsTests: TemporaryDirectoryTestCase {
    /// The issue's profile: one allow entry with `paths` entries, aliased `copies` times.
    func aliasBomb(paths: Int, copies: Int) -> String {
        var yaml = "version: 1\nallow:\n  - &e\n    rules: [service-account-token-read]\n    paths: [\n"
        yaml += (0..<paths).map { "      /p/\($0)" }.joined(separator: ",\n")
        yaml += "]\n"
        yaml += String(repeating: "  - *e\n", count: copies)
        return yaml
    }

    func testAliasExpansionIsRefusedFastWithItsPlace() throws {
        let yaml = aliasBomb(paths: 10_000, copies: 10_000)
        let start = Date()
        XCTAssertThrowsError(try ProfileLoader().parse(yaml, file: "bomb.yaml")) { error in
            let e = error as! ProfileError
            XCTAssertEqual(e.line, 3, "\(e)")
            XCTAssertEqual(e.column, 3, "\(e)")
            XCTAssertTrue(e.description.hasPrefix("bomb.yaml:3:3: aliases expand this to more than 100000 YAML nodes"), e.description)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "refused without expanding 10^8 nodes")
    }

    func testAliasesWithinTheBoundStillLoad() throws {
        let profile = try ProfileLoader().parse(aliasBomb(paths: 100, copies: 50), file: "ok.yaml")
        XCTAssertEqual(profile.allow.count, 51)
    }

    func testOverlongPatternIsRefusedAtItsPlace() {
        let yaml = "version: 1\nallow:\n  - rules: [service-account-token-read]\n    paths: [\"/ok\", \"*\(String(repeating: "a", count: 10_000))b*\"]\n"
        XCTAssertThrowsError(try ProfileLoader().parse(yaml, file: "long.yaml")) { error in
            XCTAssertEqual("\(error)", "long.yaml:4:20: pattern is 10003 bytes, over the 4096-byte limit for a pattern")
        }
    }

    func testFileOverTheSizeBoundIsRefused() throws {
        let path = try file("big.yaml", "version: 1\n#" + String(repeating: "x", count: (1 << 20)) + "\n")
        XCTAssertThrowsError(try ProfileLoader.read(path: path)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(path): the file is \((1 << 20) + 13) bytes, over the 1048576-byte limit"), "\(error)")
        }
    }

    func testDirectoryFIFOAndDeviceGetAReason() throws {
        XCTAssertThrowsError(try ProfileLoader.read(path: directory.path)) { error in
            XCTAssertEqual("\(error)", "\(directory.path): is a directory, not a profile file")
        }
        let fifo = path("fifo")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertThrowsError(try ProfileLoader.read(path: fifo)) { error in  // must not block on the open
            XCTAssertEqual("\(error)", "\(fifo): not a regular file (a FIFO); a profile is a YAML file")
        }
        XCTAssertThrowsError(try ProfileLoader.read(path: "/dev/zero")) { error in
            XCTAssertEqual("\(error)", "/dev/zero: not a regular file (a character device); a profile is a YAML file")
        }
        XCTAssertThrowsError(try ProfileLoader.read(path: path("absent"))) { error in
            XCTAssertEqual("\(error)", "\(path("absent")): no such file")
        }
    }

    // MARK: - Glob matching cost

    func testHostileGlobsMatchInBoundedTime() {
        // Backtracking tries every start of the star: subject × pattern steps per match (16 M here).
        let starRun = Glob("*" + String(repeating: "a", count: 4000) + "b*")
        let longA = String(repeating: "a", count: 4095)
        let questions = Glob("*" + String(repeating: "?", count: 1000) + "b")
        let start = Date()
        for _ in 0..<60 {
            XCTAssertFalse(starRun.matches(longA))
            XCTAssertFalse(questions.matches(longA))
        }
        XCTAssertTrue(starRun.matches(String(repeating: "a", count: 4000) + "b"))
        XCTAssertTrue(questions.matches(String(repeating: "a", count: 3000) + "b"))
        XCTAssertLessThan(Date().timeIntervalSince(start), 6, "120 hostile matches on 4095-byte subjects (backtracking took about 18 s in a debug build)")
    }

    /// The automaton agrees with a plain dynamic-programming matcher on random small cases.
    func testGlobAgreesWithReference() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "b", "é", "/"]
        let patternAlphabet: [Character] = alphabet + ["*", "?"]
        for _ in 0..<3000 {
            let pattern = String((0..<Int.random(in: 0...8, using: &rng)).map { _ in patternAlphabet.randomElement(using: &rng)! })
            let text = String((0..<Int.random(in: 0...10, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            XCTAssertEqual(Glob(pattern).matches(text), reference(pattern, text), "\(pattern) vs \(text)")
        }
        XCTAssertTrue(Glob(String(repeating: "?", count: 70) + "*b").matches(String(repeating: "x", count: 80) + "b"), "state sets over 64 bits")
        XCTAssertFalse(Glob(String(repeating: "?", count: 70) + "*b").matches(String(repeating: "x", count: 69) + "b"))
    }

    private func reference(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
        var dp = Array(repeating: Array(repeating: false, count: t.count + 1), count: p.count + 1)
        dp[0][0] = true
        for i in 1...max(p.count, 1) where i <= p.count {
            for j in 0...t.count {
                switch p[i - 1] {
                case "*": dp[i][j] = dp[i - 1][j] || (j > 0 && dp[i][j - 1])
                case "?": dp[i][j] = j > 0 && dp[i - 1][j - 1]
                default: dp[i][j] = j > 0 && dp[i - 1][j - 1] && p[i - 1] == t[j - 1]
                }
            }
        }
        return dp[p.count][t.count]
    }
}
