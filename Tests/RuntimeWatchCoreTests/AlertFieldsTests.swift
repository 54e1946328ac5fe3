// SPDX-License-Identifier: Apache-2.0
// AlertFields against a dictionary keyed by the names' UTF-8 bytes: the same answers to every
// lookup after random sets, updates and removals, and its order always the names' byte order (the
// order the JSON line is written in). Names are told apart by their bytes, as JSON tells keys apart:
// "é" and "e\u{301}" are two fields (a Swift dictionary, comparing canonically, made them one).

import XCTest
@testable import RuntimeWatchCore

final class AlertFieldsTests: XCTestCase {
    /// Names that share long prefixes, differ in length, case, non-ASCII bytes and digits.
    private let names = [
        "evt.time", "evt.type", "proc.pid", "proc.ppid", "proc.name", "proc.pname", "proc.aname[2]",
        "proc.aname[10]", "proc.apid[2]", "container.image", "container.image.repository",
        "container.image.tag", "container.id", "k8s.pod.name", "k8s.ns.name", "fd.name", "fd.rip",
        "fd.rport", "fd.lip", "user.uid", "group.gid", "rw.summary.targets",
        "rw.summary.distinct_targets", "Proc.pid", "proc.pid ", "proc.pi", "", "é", "e\u{301}", "z",
        "\u{10FFFF}", "a\u{0}b", "a",
    ]

    func testRandomSetsUpdatesAndRemovalsMatchADictionary() {
        var generator = SplitMix64(seed: 17)
        for round in 0..<200 {
            var fields = AlertFields()
            var reference: [[UInt8]: FieldValue] = [:]
            for step in 0..<60 {
                let name = names[Int(generator.next() % UInt64(names.count))]
                let value: FieldValue? = switch generator.next() % 5 {
                case 0: nil
                case 1: .null
                case 2: .int(Int64(bitPattern: generator.next()))
                case 3: .list(["x", "\(step)"])
                default: .string("v\(step)")
                }
                fields[name] = value
                reference[Array(name.utf8)] = value
                XCTAssertEqual(fields.count, reference.count, "round \(round) step \(step)")
                for probe in names {
                    XCTAssertEqual(fields[probe], reference[Array(probe.utf8)], "round \(round) step \(step) \(probe)")
                }
                let expectedOrder = reference.keys.sorted { $0.lexicographicallyPrecedes($1) }
                XCTAssertEqual(fields.keys.map { Array($0.utf8) }, expectedOrder, "round \(round) step \(step)")
                XCTAssertEqual(fields.map(\.1), expectedOrder.map { reference[$0]! })
            }
            var rebuilt = AlertFields()
            for (name, value) in fields.reversed() { rebuilt[name] = value }
            XCTAssertEqual(rebuilt, fields, "set in another order, the same fields")
        }
    }

    func testCanonicallyEquivalentNamesAreTwoFields() {
        var fields = AlertFields()
        fields["\u{E9}"] = .int(1)
        fields["e\u{301}"] = .int(2)
        XCTAssertEqual(fields.count, 2)
        XCTAssertEqual(fields["\u{E9}"], .int(1))
        XCTAssertEqual(fields["e\u{301}"], .int(2))
    }

    func testEqualityAndHashDoNotDependOnTheOrderOfSetting() {
        var a = AlertFields(), b = AlertFields()
        for name in names { a[name] = .string(name) }
        for name in names.reversed() { b[name] = .string(name) }
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.hashValue, b.hashValue)
        b["evt.time"] = .int(1)
        XCTAssertNotEqual(a, b)
    }

    func testDecodingReadsAnObjectAndMergingKeepsWhatTheCombineChooses() throws {
        let json = #"{"proc.pid": 7, "fd.name": "/x", "proc.args": ["a", "b"], "proc.cwd": null}"#
        let fields = try JSONDecoder().decode(AlertFields.self, from: Data(json.utf8))
        XCTAssertEqual(fields.keys, ["fd.name", "proc.args", "proc.cwd", "proc.pid"])
        XCTAssertEqual(fields["proc.pid"], .int(7))
        XCTAssertEqual(fields["proc.cwd"], .null)
        let merged = fields.merging(["proc.pid": .int(8), "new": .string("n")]) { old, _ in old }
        XCTAssertEqual(merged["proc.pid"], .int(7))
        XCTAssertEqual(merged["new"], .string("n"))
        XCTAssertEqual(merged.count, 5)
    }
}
