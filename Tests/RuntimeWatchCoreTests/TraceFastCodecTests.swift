// SPDX-License-Identifier: Apache-2.0
// Differential tests of the byte-level trace codec against the Codable reference: the fast encoder
// writes the very bytes JSONEncoder wrote, the fast decoder reads exactly what JSONDecoder reads,
// and whenever the fast decoder accepts a line (even a corrupted one) JSONDecoder agrees.

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class TraceFastCodecTests: TemporaryDirectoryTestCase {
    private let decoder = JSONDecoder()

    private func codableLine(_ record: EventRecord) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try record.appendCodableJSONLine(to: &bytes, using: EventRecord.makeLineEncoder())
        return bytes
    }

    private func fastLine(_ record: EventRecord) -> [UInt8] {
        var bytes: [UInt8] = []
        record.appendFastJSONLine(to: &bytes)
        return bytes
    }

    /// One cursor for every line of a test, as TraceReader keeps one for every line of a trace.
    private var cursor = JSONLineCursor()

    private func fastDecode(_ line: [UInt8]) -> EventRecord? {
        line.withUnsafeBytes { FastTraceDecoder.decode($0, reusing: &cursor) }
    }

    private func codableDecode(_ line: [UInt8]) -> EventRecord? {
        try? decoder.decode(EventRecord.self, from: Data(line))
    }

    /// Encodes both ways, compares bytes, and decodes both ways.
    private func assertAgrees(_ record: EventRecord, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try codableLine(record)
        let fast = fastLine(record)
        XCTAssertEqual(String(decoding: fast, as: UTF8.self), String(decoding: reference, as: UTF8.self),
                       "fast encoder bytes differ from JSONEncoder's", file: file, line: line)
        if case .k8sAudit = record.event {
            // Nested API-server objects are left to the JSONDecoder fallback by design.
            XCTAssertNil(fastDecode(fast), "k8s_audit goes through the fallback", file: file, line: line)
        } else {
            XCTAssertEqual(fastDecode(fast), record, "fast decode of the line", file: file, line: line)
        }
        XCTAssertEqual(codableDecode(fast), record, "JSONDecoder reads the fast encoder's line", file: file, line: line)
    }

    func testEverySampleEncodesToTheSameBytesAndDecodesBack() throws {
        for record in EventSamples.records { try assertAgrees(record) }
        // Every optional left out.
        let minimal: [Event] = [
            .exec(RuntimeWatchCore.ProcessInfo(pid: ProcessID(1))),
            .exit(ExitEvent(pid: ProcessID(2), code: 0)),
            .container(ContainerInfo(id: ContainerID("c"), runtime: "runc")),
            .fileOpen(FileOpenEvent(pid: ProcessID(3), path: "/t")),
            .connect(ConnectEvent(pid: ProcessID(4), proto: "tcp", remoteAddress: "198.51.100.1", remotePort: 0)),
            .descriptors(DescriptorsEvent(pid: ProcessID(5), fds: [])),
            .exec(RuntimeWatchCore.ProcessInfo(pid: ProcessID(Int32.min), argv: [], fds: [DescriptorInfo(fd: -1, kind: .other, target: "")])),
        ]
        for (i, event) in minimal.enumerated() { try assertAgrees(EventRecord(timestamp: UInt64(i), event: event)) }
    }

    func testSyntheticStreamAgrees() throws {
        for record in SyntheticTrace(count: 3_000, liveProcesses: 200) { try assertAgrees(record) }
    }

    /// Records cut to `EventBounds` carry `truncated` marks: the fast codec writes and reads them
    /// as JSONEncoder and JSONDecoder do.
    func testBoundedRecordsWithTheirMarksAgree() throws {
        let huge = String(repeating: "x", count: EventBounds.pathBytes + 1)
        for record in EventSamples.records {
            var big = record
            switch record.event {
            case .snapshot(var p), .exec(var p):
                p.argv = [huge, huge, huge, huge, huge]
                big.event = record.event.kind == "exec" ? .exec(p) : .snapshot(p)
            case .comm(var e): e.comm = huge; big.event = .comm(e)
            case .container(var e): e.image = huge + huge; e.podName = huge; big.event = .container(e)
            case .fileOpen(var e): e.path = huge + huge; e.process?.exe = huge + huge; big.event = .fileOpen(e)
            case .connect(var e): e.remoteAddress = huge; big.event = .connect(e)
            case .descriptors(var e): e.fds[0].target = huge + huge; big.event = .descriptors(e)
            default: continue
            }
            let bounded = big.bounded()
            XCTAssertNotEqual(bounded, big, "\(record.event.kind): nothing was cut")
            XCTAssertTrue(String(decoding: fastLine(bounded), as: UTF8.self).contains("\"truncated\":["), "\(record.event.kind)")
            try assertAgrees(bounded)
        }
    }

    func testRandomRecordsAgree() throws {
        var random = RandomRecords(seed: 42)
        for _ in 0..<2_000 { try assertAgrees(random.record()) }
    }

    func testFixtureLinesDecodeAsJSONDecoderDoes() throws {
        let fixtures = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let files = try FileManager.default.contentsOfDirectory(at: fixtures, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent.hasSuffix(".jsonl") && !$0.lastPathComponent.hasSuffix(".expected.jsonl") }
        XCTAssertFalse(files.isEmpty)
        var fastCount = 0, total = 0
        for url in files {
            for text in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") where text.hasPrefix(#"{"ts""#) {
                let line = Array(text.utf8)
                total += 1
                let reference = codableDecode(line)
                if let fast = fastDecode(line) {
                    fastCount += 1
                    XCTAssertEqual(fast, reference, "\(url.lastPathComponent): \(text.prefix(120))")
                }
            }
        }
        XCTAssertGreaterThan(total, 0)
        XCTAssertEqual(fastCount, total, "recorded fixtures are in the writer's shape: all take the fast path")
    }

    func testShapesTheFastPathLeavesToJSONDecoder() throws {
        let lines = [
            #"{"ts":1,"type":"k8s_audit","verb":"get"}"#,                    // a type it does not know
            #"{"ts":1,"type":"sid","pid":1,"extra":true}"#,                  // an unknown key
            #"{"ts":1,"type":"sid","pid":1,"pid":2}"#,                       // a duplicate key
            #"{"ts":1.0,"type":"sid","pid":1}"#,                             // a fraction
            #"{"ts":1,"type":"sid","pid":1e0}"#,                             // an exponent
            #"{"ts":1,"type":"s\u0069d","pid":1}"#,                          // an escaped type
            #"{"type":"sid","pid":1,"ts":1}"#,                               // ts and type not first
            #"{"ts":1,"type":"sid","p\u0069d":1}"#,                          // an escaped key
            #"{"ts":1,"type":"sid","pid":-0}"#,                              // minus zero
            #"{"ts":1,"type":"sid","pid":01}"#,                              // a leading zero
            #"{"ts":1,"type":"comm","pid":1,"comm":"\ud800"}"#,              // a lone surrogate
            #"{"ts":1,"type":"exit","pid":1,"code":null}"#,                  // null for a required field
            #"{"ts":1,"type":"sid","pid":1} x"#,                             // text after the object
            #"{"ts":1,"type":"sid","pid":4294967296}"#,                      // out of range
        ]
        for text in lines {
            XCTAssertNil(fastDecode(Array(text.utf8)), text)
        }
        // A line in a shape it leaves alone still reads, through the fallback, as JSONDecoder reads it.
        let p = try file("shapes.jsonl", [#"{"ts":1,"type":"sid","pid":1,"extra":true}"#,
                                          #"{"type":"sid","pid":7,"ts":2}"#,
                                          #"{"ts":3,"type":"sid","pid":1} x"#].joined(separator: "\n"))
        let log = IssueLog()
        let reader = try TraceReader(path: p, onIssue: log.record)
        XCTAssertEqual(try reader.readAll(), [EventRecord(timestamp: 1, event: .sid(PIDEvent(pid: ProcessID(1)))),
                                              EventRecord(timestamp: 2, event: .sid(PIDEvent(pid: ProcessID(7))))])
        XCTAssertEqual(reader.counts.fallbackDecodes, 3)
        XCTAssertEqual(log.malformed.map(\.number), [3])
    }

    /// Descriptor kinds are matched on their bytes: an escaped spelling of a known kind goes to
    /// JSONDecoder (and reads as that kind), an unknown kind is malformed both ways.
    func testDescriptorKindsAreMatchedOnTheirBytes() {
        let plain = Array(#"{"ts":1,"type":"fds","pid":1,"fds":[{"fd":0,"kind":"pipe","target":"pipe:[5]","inode":5}]}"#.utf8)
        let escaped = Array(#"{"ts":1,"type":"fds","pid":1,"fds":[{"fd":0,"kind":"p\u0069pe","target":"pipe:[5]","inode":5}]}"#.utf8)
        let unknown = Array(#"{"ts":1,"type":"fds","pid":1,"fds":[{"fd":0,"kind":"door","target":"x"}]}"#.utf8)
        let pipe = EventRecord(timestamp: 1, event: .descriptors(DescriptorsEvent(
            pid: ProcessID(1), fds: [DescriptorInfo(fd: 0, kind: .pipe, target: "pipe:[5]", inode: 5)])))
        XCTAssertEqual(fastDecode(plain), pipe)
        XCTAssertNil(fastDecode(escaped), "an escaped kind is left to JSONDecoder")
        XCTAssertEqual(codableDecode(escaped), pipe)
        XCTAssertNil(fastDecode(unknown))
        XCTAssertNil(codableDecode(unknown))
        for kind in DescriptorInfo.Kind.allCases {
            let line = Array(#"{"ts":1,"type":"fds","pid":1,"fds":[{"fd":0,"kind":"\#(kind.rawValue)","target":"t"}]}"#.utf8)
            XCTAssertEqual(fastDecode(line), codableDecode(line), kind.rawValue)
            XCTAssertNotNil(fastDecode(line), kind.rawValue)
        }
    }

    func testSpacesAndEscapesTheWriterNeverProducesStillDecode() {
        let line = Array(#"{ "ts" : 5 , "type" : "comm" , "pid" : 3 , "comm" : "a\/b\u00e9\ud83d\ude80\"" }"#.utf8)
        let expected = EventRecord(timestamp: 5, event: .comm(CommEvent(pid: ProcessID(3), comm: "a/bé🚀\"")))
        XCTAssertEqual(codableDecode(line), expected)
        XCTAssertEqual(fastDecode(line), expected)
    }

    /// The safety property: corrupt valid lines at random; whenever the fast decoder still
    /// accepts one, JSONDecoder must decode the very same record from it.
    func testCorruptedLinesAreNeverAcceptedDifferently() throws {
        var rng = SystemRandomNumberGenerator()
        var random = RandomRecords(seed: 7)
        var accepted = 0, rejected = 0
        let alphabet = Array(#"{}[]":,\0123456789-.eEnulltruefalse aé"#.utf8) + [0x00, 0x1F, 0xC3, 0xFF]
        for _ in 0..<3_000 {
            var line = fastLine(random.record())
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let at = Int.random(in: 0..<line.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: line.remove(at: at)
                case 1: line.insert(alphabet.randomElement(using: &rng)!, at: at)
                default: line[at] = alphabet.randomElement(using: &rng)!
                }
                if line.isEmpty { break }
            }
            if let fast = fastDecode(line) {
                accepted += 1
                XCTAssertEqual(codableDecode(line), fast, String(decoding: line, as: UTF8.self))
            } else {
                rejected += 1
            }
        }
        XCTAssertGreaterThan(rejected, 0)
        XCTAssertGreaterThan(accepted, 0, "some corruptions (inside strings) still decode")
    }
}

/// Random records with random field values, strings full of escapes, control characters and
/// multi-byte UTF-8, and optionals present or not.
struct RandomRecords {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    private mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private mutating func int<T: FixedWidthInteger>(_: T.Type = T.self) -> T {
        switch next() % 4 {
        case 0: T.min
        case 1: T.max
        case 2: T(truncatingIfNeeded: next() % 1000)
        default: T(truncatingIfNeeded: next())
        }
    }

    private mutating func maybe<T>(_ make: (inout RandomRecords) -> T) -> T? { next() % 3 == 0 ? nil : make(&self) }

    private mutating func string() -> String {
        let pieces = ["a", "/", "\"", "\\", "\n", "\t", "\r", "\u{8}", "\u{C}", "\u{0}", "\u{1F}", "\u{7F}", "é", "雪", "🚀",
                      "\u{2028}", "\u{FEFF}", " ", "pipe:[1]", "/var/run/secrets/kubernetes.io/serviceaccount/token"]
        var s = ""
        for _ in 0..<(next() % 12) { s += pieces[Int(next() % UInt64(pieces.count))] }
        return s
    }

    private mutating func strings() -> [String] { (0..<(next() % 4)).map { _ in string() } }

    private mutating func pid() -> ProcessID { ProcessID(int(Int32.self)) }

    private mutating func descriptors() -> [DescriptorInfo] {
        (0..<(next() % 4)).map { _ in
            DescriptorInfo(fd: int(), kind: [.file, .pipe, .socket, .tty, .anon, .deleted, .devnull, .other][Int(next() % 8)],
                           target: string(), inode: maybe { $0.int() },
                           socket: maybe { r in
                               DescriptorInfo.Socket(family: r.string(), proto: r.string(), localAddress: r.maybe { $0.string() },
                                                     localPort: r.maybe { $0.int() }, remoteAddress: r.maybe { $0.string() },
                                                     remotePort: r.maybe { $0.int() }, state: r.maybe { $0.string() })
                           })
        }
    }

    private mutating func process() -> RuntimeWatchCore.ProcessInfo {
        var p = RuntimeWatchCore.ProcessInfo(pid: pid(), ppid: maybe { $0.pid() }, comm: maybe { $0.string() }, exe: maybe { $0.string() },
                    argv: maybe { $0.strings() }, cwd: maybe { $0.string() },
                    credentials: maybe { r in Credentials(uid: r.int(), euid: r.int(), gid: r.int(), egid: r.int(), capEff: r.maybe { $0.int() }) },
                    cgroup: maybe { $0.string() }, fds: maybe { $0.descriptors() }, startTicks: maybe { $0.int() },
                    source: maybe { $0.string() })
        p.truncated = maybe { $0.strings() }
        return p
    }

    mutating func record() -> EventRecord {
        let event: Event
        switch next() % 15 {
        case 0: event = .snapshot(process())
        case 1: event = .fork(ForkEvent(parent: pid(), child: pid()))
        case 2: event = .exec(process())
        case 3: event = .exit(ExitEvent(pid: pid(), code: int(), signal: maybe { $0.int() }))
        case 4: event = .uid(IDChangeEvent(pid: pid(), real: int(), effective: int()))
        case 5: event = .gid(IDChangeEvent(pid: pid(), real: int(), effective: int()))
        case 6: event = .sid(PIDEvent(pid: pid()))
        case 7: event = .comm(CommEvent(pid: pid(), comm: string()))
        case 8: event = .ptrace(PtraceEvent(pid: pid(), tracer: pid(), attach: next() % 2 == 0))
        case 9: event = .coredump(PIDEvent(pid: pid()))
        case 10: event = .container(ContainerInfo(id: ContainerID(string()), runtime: string(), podUID: maybe { $0.string() },
                                                  qosClass: maybe { $0.string() }, podName: maybe { $0.string() },
                                                  namespace: maybe { $0.string() }, containerName: maybe { $0.string() },
                                                  image: maybe { $0.string() }, entrypoint: maybe { $0.strings() },
                                                  bundle: maybe { $0.string() }))
        case 11: event = .drop(DropEvent(source: string(), count: int(), reason: string()))
        case 12: event = .fileOpen(FileOpenEvent(pid: pid(), path: string(), containerPath: maybe { $0.string() },
                                                 write: next() % 2 == 0, process: maybe { $0.process() }))
        case 13: event = .connect(ConnectEvent(pid: pid(), proto: string(), localAddress: maybe { $0.string() },
                                               localPort: maybe { $0.int() }, remoteAddress: string(), remotePort: int(),
                                               result: int(), process: maybe { $0.process() }))
        default: event = .descriptors(DescriptorsEvent(pid: pid(), fds: descriptors()))
        }
        return EventRecord(timestamp: int(), event: markedTruncated(event))
    }

    /// `event` with random `truncated` marks on the payloads that have them.
    private mutating func markedTruncated(_ event: Event) -> Event {
        let marks = maybe { $0.strings() }
        switch event {
        case .comm(var e): e.truncated = marks; return .comm(e)
        case .container(var e): e.truncated = marks; return .container(e)
        case .fileOpen(var e): e.truncated = marks; return .fileOpen(e)
        case .connect(var e): e.truncated = marks; return .connect(e)
        case .descriptors(var e): e.truncated = marks; return .descriptors(e)
        default: return event
        }
    }
}
