// SPDX-License-Identifier: Apache-2.0
// Pure tests of the audit text decoding used by connect capture: the record stamp and fields, the
// hex sockaddr (AF_INET, AF_INET6, v4-mapped, AF_UNIX, AF_UNSPEC) and per-serial assembly.
// Record texts follow the kernel's format as captured on this host (see the live tests).

@testable import RuntimeWatchCapture
import XCTest

final class ConnectAuditParserTests: XCTestCase {
    // As received on AUDIT_NLGRP_READLOG from Linux 6.18 (x86_64) for python3 connecting to 127.0.0.1:9.
    static let syscallRefused = #"audit(1763810845.412:2291): arch=c000003e syscall=42 success=no exit=-111 a0=3 a1=7ffd6f2e1c40 a2=10 a3=0 items=0 ppid=31001 pid=31017 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="python3" exe="/usr/bin/python3.11" subj=unconfined key="runtime-watch""#
    static let sockaddrV4 = "audit(1763810845.412:2291): saddr=020000097F0000010000000000000000"
    static let proctitle = "audit(1763810845.412:2291): proctitle=707974686F6E33002D63"
    static let eoe = "audit(1763810845.412:2291): "

    func testStampAndFieldsDecode() throws {
        let record = try AuditRecordText(parsing: Self.syscallRefused)
        XCTAssertEqual(record.seconds, 1_763_810_845)
        XCTAssertEqual(record.milliseconds, 412)
        XCTAssertEqual(record.serial, 2291)
        XCTAssertEqual(record.timestampNanoseconds, 1_763_810_845_412_000_000)
        XCTAssertEqual(record.fields["syscall"], "42")
        XCTAssertEqual(record.fields["exit"], "-111")
        XCTAssertEqual(record.fields["comm"], "python3")
        XCTAssertEqual(record.fields["tty"], "(none)")
        XCTAssertEqual(record.fields["key"], "runtime-watch")
    }

    func testSelectionKeepsOnlyTheNamedFieldsWithTheSameValues() throws {
        let all = try AuditRecordText(parsing: Self.syscallRefused)
        let some = try AuditRecordText(parsing: Self.syscallRefused, keeping: .only(["pid", "comm", "key", "absent"]))
        XCTAssertEqual(some.fields, ["pid": "31017", "comm": "python3", "key": "runtime-watch"])
        XCTAssertEqual(some.serial, all.serial)
        XCTAssertEqual(some.timestampNanoseconds, all.timestampNanoseconds)
        // A key that is a prefix of a kept one (or the reverse) is not kept.
        let prefixes = try AuditRecordText(parsing: Self.syscallRefused, keeping: .only(["pi", "ppidx", "a"]))
        XCTAssertEqual(prefixes.fields, [:])
        let stamp = try AuditRecordText(parsing: Self.syscallRefused, keeping: .only([]))
        XCTAssertEqual(stamp.fields, [:])
        XCTAssertEqual(stamp.serial, 2291)
        XCTAssertEqual(all.fields.count, 26)
        // A malformed stamp is reported whatever the selection.
        XCTAssertThrowsError(try AuditRecordText(parsing: "audit(1.2:): x=1", keeping: .only([])))
    }

    func testQuotedValueWithSpacesStaysWhole() throws {
        let record = try AuditRecordText(parsing: #"audit(1.005:7): comm="my prog" exe="/opt/a b/c" key=(null)"#)
        XCTAssertEqual(record.fields["comm"], "my prog")
        XCTAssertEqual(record.fields["exe"], "/opt/a b/c")
        XCTAssertEqual(record.fields["key"], "(null)")
        XCTAssertEqual(record.timestampNanoseconds, 1_005_000_000)
        // Kept quotes, for a reader to whom quoting means something (EXECVE: quoted or hex).
        let quoted = try AuditRecordText(parsing: #"audit(1.005:7): comm="my prog" a0=4142 a1="x"#, keepingQuotes: true)
        XCTAssertEqual(quoted.fields["comm"], #""my prog""#)
        XCTAssertEqual(quoted.fields["a0"], "4142")
        XCTAssertEqual(quoted.fields["a1"], #""x"#, "an unterminated value keeps its opening quote only")
    }

    func testMalformedStampsAreRejectedWithAReason() {
        for (text, reason) in [("type=1300 msg=audit(1.2:3): x=1", "does not start"),
                               ("audit(1763810845:2291): x=1", "expected '.'"),
                               ("audit(1.2:): x=1", "missing serial"),
                               ("audit(1.2:3) x=1", "expected ':'"),
                               ("audit(1.2345:3): x=1", "more than 3 digits"),
                               ("", "does not start")] {
            XCTAssertThrowsError(try AuditRecordText(parsing: text), text) { error in
                let described = "\(error)"
                XCTAssertTrue(described.contains(reason), "\(text): \(described)")
            }
        }
    }

    func testSockaddrInet() throws {
        XCTAssertEqual(try SocketAddressHex.decode("020000097F0000010000000000000000"), .inet(family: 2, address: "127.0.0.1", port: 9))
        XCTAssertEqual(try SocketAddressHex.decode("0200C8D5C6336401"), .inet(family: 2, address: "198.51.100.1", port: 51413))
    }

    func testSockaddrInet6() throws {
        XCTAssertEqual(try SocketAddressHex.decode("0A001F90000000000000000000000000000000000000000100000000"),
                       .inet(family: 10, address: "::1", port: 8080))
        XCTAssertEqual(try SocketAddressHex.decode("0a0001bb0000000020010db8000000000000000000000042" + "00000000"),
                       .inet(family: 10, address: "2001:db8::42", port: 443))
        XCTAssertEqual(try SocketAddressHex.decode("0A0000500000000000000000000000000000FFFFC633640100000000"),
                       .inet(family: 10, address: "::ffff:198.51.100.1", port: 80))
        XCTAssertEqual(try SocketAddressHex.decode("0A000035000000000000000000000000000000000000000000000000"),
                       .inet(family: 10, address: "::", port: 53))
        XCTAssertEqual(try SocketAddressHex.decode("0A000035000000002001000000000001000000000000000100000000"),
                       .inet(family: 10, address: "2001:0:0:1::1", port: 53))
    }

    func testSockaddrOtherFamilies() throws {
        XCTAssertEqual(try SocketAddressHex.decode("01002F6465762F6C6F6700"), .other(family: 1))
        XCTAssertEqual(try SocketAddressHex.decode("100000000000000000000000"), .other(family: 16))
        XCTAssertEqual(try SocketAddressHex.decode("00000000000000000000000000000000"), .unspecified)
    }

    func testSockaddrMalformed() {
        for (hex, reason) in [("0", "odd length"), ("02", "shorter than a family"), ("0200ZZ", "non-hex"),
                              ("02000050", "need 8"), ("0A0000500000", "need 24")] {
            XCTAssertThrowsError(try SocketAddressHex.decode(hex), hex) { XCTAssertTrue("\($0)".contains(reason), "\(hex): \($0)") }
        }
    }

    func testAssemblerJoinsRecordsOfOneSerialAndEmitsOnEndOfEvent() throws {
        var assembler = AuditConnectAssembler(key: "runtime-watch")
        XCTAssertNil(try assembler.consume(type: AuditRecordType.syscall, text: Self.syscallRefused).observation)
        XCTAssertNil(try assembler.consume(type: AuditRecordType.sockaddr, text: Self.sockaddrV4).observation)
        XCTAssertNil(try assembler.consume(type: AuditRecordType.proctitle, text: Self.proctitle).observation)
        let observation = try XCTUnwrap(try assembler.consume(type: AuditRecordType.endOfEvent, text: Self.eoe).observation)
        XCTAssertEqual(observation.pid, 31017)
        XCTAssertEqual(observation.parentPID, 31001)
        XCTAssertEqual(observation.descriptor, 3)
        XCTAssertEqual(observation.result, 111)
        XCTAssertEqual(observation.address, "127.0.0.1")
        XCTAssertEqual(observation.port, 9)
        XCTAssertEqual(observation.serial, 2291)
        XCTAssertEqual(observation.timestampNanoseconds, 1_763_810_845_412_000_000)
        XCTAssertEqual(observation.executable, "/usr/bin/python3.11")
        XCTAssertEqual(assembler.pendingCount, 0)
    }

    /// Every record's stamp is read once, by the assembler, for the capture's serial gap tracker:
    /// each type gives its serial, and a malformed stamp throws whatever the record's type.
    func testEveryRecordGivesItsSerialAndABadStampThrows() throws {
        var assembler = AuditConnectAssembler(key: "runtime-watch")
        XCTAssertEqual(try assembler.consume(type: AuditRecordType.syscall, text: Self.syscallRefused).serial, 2291)
        XCTAssertEqual(try assembler.consume(type: AuditRecordType.sockaddr, text: Self.sockaddrV4).serial, 2291)
        XCTAssertEqual(try assembler.consume(type: AuditRecordType.proctitle, text: Self.proctitle).serial, 2291)
        XCTAssertEqual(try assembler.consume(type: 1400, text: "audit(7.001:4294967295): apparmor=x").serial, 4_294_967_295)
        let eoe = try assembler.consume(type: AuditRecordType.endOfEvent, text: Self.eoe)
        XCTAssertEqual(eoe.serial, 2291)
        XCTAssertNotNil(eoe.observation)
        for (type, text) in [(AuditRecordType.proctitle, "audit(1.2:): proctitle=00"), (1400, "type=AVC msg=x"),
                             (AuditRecordType.syscall, "audit(1.5:3 pid=4 key=\"runtime-watch\"")] {
            XCTAssertThrowsError(try assembler.consume(type: type, text: text), text)
        }
        XCTAssertEqual(assembler.pendingCount, 0)
    }

    /// The SYSCALL fields are read as the record is walked, not gathered by name: the first of a
    /// repeated field counts (as `AuditRecordText`'s dictionary keeps it), a name that only starts
    /// like one read (`pidx`, `a01`, `keys`) is not that field, and `key=(null)` is not ours.
    func testSyscallFieldsTakeTheFirstOfEachAndWholeNamesOnly() throws {
        var assembler = AuditConnectAssembler(key: "k")
        let text = #"audit(3.000:9): pidx=1 pid=41 pid=42 a01=ff a0=1f keys="x" success=no success=yes exit=-111 exit=0 comm="first" comm="second" exe="/bin/a" ppid=40 key="k" key="other""#
        _ = try assembler.consume(type: AuditRecordType.syscall, text: text)
        _ = try assembler.consume(type: AuditRecordType.sockaddr, text: "audit(3.000:9): saddr=02000050C6336409")
        let observation = try XCTUnwrap(try assembler.consume(type: AuditRecordType.endOfEvent, text: "audit(3.000:9): ").observation)
        XCTAssertEqual(observation.pid, 41)
        XCTAssertEqual(observation.parentPID, 40)
        XCTAssertEqual(observation.descriptor, 31)
        XCTAssertEqual(observation.result, 111)
        XCTAssertEqual(observation.command, "first")
        XCTAssertEqual(observation.executable, "/bin/a")
        for other in [#"audit(3.000:10): pid=4 success=yes exit=0 key=(null)"#, #"audit(3.000:11): pid=4 success=yes exit=0 key="other" key="k""#,
                      #"audit(3.000:12): pid=4 success=yes exit=0 keys="k""#] {
            _ = try assembler.consume(type: AuditRecordType.syscall, text: other)
            XCTAssertEqual(assembler.pendingCount, 0, other)
        }
        // comm and exe are text only when quoted: hex (a name with spaces) and (null) are not.
        for (fields, comm, exe) in [(#"comm=6D792070726F67 exe=2F6F70742F6120622F63"#, nil, nil), (#"comm="sh" exe=(null)"#, "sh", nil),
                                    (#"comm=(null) exe="/bin/sh""#, nil, "/bin/sh")] as [(String, String?, String?)] {
            _ = try assembler.consume(type: AuditRecordType.syscall, text: #"audit(4.000:20): pid=4 success=yes exit=0 key="k" "# + fields)
            _ = try assembler.consume(type: AuditRecordType.sockaddr, text: "audit(4.000:20): saddr=02000050C6336409")
            let seen = try XCTUnwrap(try assembler.consume(type: AuditRecordType.endOfEvent, text: "audit(4.000:20): ").observation, fields)
            XCTAssertEqual(seen.command, comm, fields)
            XCTAssertEqual(seen.executable, exe, fields)
        }
        let noPid = #"audit(3.000:13): pidx=4 success=yes exit=0 key="k""#
        _ = try assembler.consume(type: AuditRecordType.syscall, text: noPid)
        _ = try assembler.consume(type: AuditRecordType.sockaddr, text: "audit(3.000:13): saddr=02000050C6336409")
        let dropped = try assembler.consume(type: AuditRecordType.endOfEvent, text: "audit(3.000:13): ")
        XCTAssertEqual(dropped.error?.reason, "SYSCALL record of serial 13 has no numeric pid")
    }

    /// Each name the SYSCALL walk reads is packed from the bytes of its own spelling, and none of a
    /// connect record's other names (nor a longer or shorter one) reads as one of them.
    func testSyscallFieldNamesArePackedFromTheirSpelling() {
        func name(_ text: String) -> AuditConnectAssembler.SyscallFields.Name? {
            Array(text.utf8).withUnsafeBufferPointer { AuditConnectAssembler.SyscallFields.Name($0[...]) }
        }
        for field in AuditConnectAssembler.SyscallFields.Name.allCases {
            XCTAssertEqual(name("\(field)"), field, "\(field)")
        }
        let others = ["a1", "a2", "a3", "items", "auid", "uid", "gid", "euid", "suid", "fsuid", "egid", "sgid", "fsgid", "tty", "ses",
                      "subj", "p", "pidd", "syscalls", "successful", "", "keyx", "ke"]
        for other in others { XCTAssertNil(name(other), other) }
    }

    func testAssemblerReadsSuccessAndInProgress() throws {
        var assembler = AuditConnectAssembler(key: "k")
        let ok = #"audit(10.000:1): arch=c000003e syscall=42 success=yes exit=0 a0=1a items=0 ppid=1 pid=2 comm="a" key="k""#
        let inProgress = #"audit(10.000:2): arch=c000003e syscall=42 success=no exit=-115 a0=5 items=0 ppid=1 pid=2 comm="a" key="k""#
        _ = try assembler.consume(type: AuditRecordType.syscall, text: ok).observation
        _ = try assembler.consume(type: AuditRecordType.syscall, text: inProgress).observation
        _ = try assembler.consume(type: AuditRecordType.sockaddr, text: "audit(10.000:2): saddr=02000050C6336402").observation
        _ = try assembler.consume(type: AuditRecordType.sockaddr, text: "audit(10.000:1): saddr=02000050C6336401").observation
        let second = try XCTUnwrap(try assembler.consume(type: AuditRecordType.endOfEvent, text: "audit(10.000:2): ").observation)
        let first = try XCTUnwrap(try assembler.consume(type: AuditRecordType.endOfEvent, text: "audit(10.000:1): ").observation)
        XCTAssertEqual(first.result, 0)
        XCTAssertEqual(first.descriptor, 26)
        XCTAssertEqual(first.address, "198.51.100.1")
        XCTAssertEqual(second.result, 115)
        XCTAssertEqual(second.address, "198.51.100.2")
    }

    /// auditd's own connect rule listed before ours names the record: still a connect we must see;
    /// a foreign record of another syscall, or of the 32-bit ABI with the same number, is not.
    func testAssemblerFollowsAConnectClaimedByAnotherToolsRule() throws {
        var assembler = AuditConnectAssembler(key: "runtime-watch", connect: (arch: "c000003e", syscall: "42"))
        let claimed = Self.syscallRefused.replacingOccurrences(of: #"key="runtime-watch""#, with: #"key="auditd-net""#)
        XCTAssertNil(try assembler.consume(type: AuditRecordType.syscall, text: claimed).observation)
        XCTAssertNil(try assembler.consume(type: AuditRecordType.sockaddr, text: Self.sockaddrV4).observation)
        let observation = try XCTUnwrap(try assembler.consume(type: AuditRecordType.endOfEvent, text: Self.eoe).observation)
        XCTAssertEqual(observation.port, 9)

        let pipe32 = #"audit(6.000:7): arch=40000003 syscall=42 success=yes exit=0 a0=3 pid=9 key="auditd-net""#
        let execve = #"audit(6.000:8): arch=c000003e syscall=59 success=yes exit=0 a0=3 pid=9 key="auditd-exec""#
        for text in [pipe32, execve] { XCTAssertNil(try assembler.consume(type: AuditRecordType.syscall, text: text).observation) }
        XCTAssertEqual(assembler.pendingCount, 0, "neither a 32-bit syscall 42 nor execve is a connect")
    }

    func testAssemblerIgnoresOtherKeysUnixUnspecAndCountsThem() throws {
        var assembler = AuditConnectAssembler(key: "runtime-watch")
        let foreign = Self.syscallRefused.replacingOccurrences(of: #"key="runtime-watch""#, with: #"key="auditd-net""#)
        XCTAssertNil(try assembler.consume(type: AuditRecordType.syscall, text: foreign).observation)
        XCTAssertEqual(assembler.pendingCount, 0)

        for (serial, saddr) in [(1, "01002F72756E2F78"), (2, "0000000000000000")] {
            let syscall = #"audit(5.000:\#(serial)): arch=c000003e syscall=42 success=yes exit=0 a0=3 pid=9 key="runtime-watch""#
            _ = try assembler.consume(type: AuditRecordType.syscall, text: syscall).observation
            _ = try assembler.consume(type: AuditRecordType.sockaddr, text: "audit(5.000:\(serial)): saddr=\(saddr)").observation
            XCTAssertNil(try assembler.consume(type: AuditRecordType.endOfEvent, text: "audit(5.000:\(serial)): ").observation)
        }
        _ = try assembler.consume(type: AuditRecordType.syscall, text: #"audit(5.000:3): success=no exit=-14 pid=9 key="runtime-watch""#).observation
        XCTAssertNil(try assembler.consume(type: AuditRecordType.endOfEvent, text: "audit(5.000:3): ").observation)
        XCTAssertEqual(assembler.counters.nonInet, 1)
        XCTAssertEqual(assembler.counters.unspecified, 1)
        XCTAssertEqual(assembler.counters.withoutAddress, 1)
    }

    func testAssemblerBoundsOpenEventsAndMalformedRecordLosesOnlyItsEvent() throws {
        var assembler = AuditConnectAssembler(key: "k", maxPending: 2)
        for serial in 1...3 {
            _ = try assembler.consume(type: AuditRecordType.syscall, text: #"audit(1.000:\#(serial)): success=yes exit=0 pid=4 key="k""#).observation
        }
        XCTAssertEqual(assembler.pendingCount, 2)
        XCTAssertEqual(assembler.counters.evicted, 1)

        _ = try assembler.consume(type: AuditRecordType.sockaddr, text: "audit(1.000:2): saddr=02000050ZZ").observation
        let malformed = try assembler.consume(type: AuditRecordType.endOfEvent, text: "audit(1.000:2): ")
        XCTAssertNil(malformed.observation)
        XCTAssertEqual(malformed.serial, 2, "a malformed event's serial still counts as seen")
        XCTAssertTrue(malformed.error?.reason.contains("non-hex") ?? false, "the malformed address drops its event: \(String(describing: malformed.error))")
        _ = try assembler.consume(type: AuditRecordType.sockaddr, text: "audit(1.000:3): saddr=020000507F000001").observation
        let survivor = try XCTUnwrap(try assembler.consume(type: AuditRecordType.endOfEvent, text: "audit(1.000:3): ").observation)
        XCTAssertEqual(survivor.port, 80)
        XCTAssertEqual(assembler.pendingCount, 0)
    }
}
