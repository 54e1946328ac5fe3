// SPDX-License-Identifier: Apache-2.0
// The pure /proc parsers over fixture text: stat (comm with ") "), status, cmdline, cgroup v1/v2
// selection, syscall (open flags of a held open), fd link classification, net/tcp*, udp, unix
// lines. Runs anywhere.

import RuntimeWatchCore
@testable import RuntimeWatchCapture
import XCTest

final class ProcParserTests: XCTestCase {
    // MARK: stat

    func testStatCountsFieldsFromTheLastParenthesis() throws {
        let text = "4242 (evil) (x) S) R 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615\n"
        let stat = try ProcStat.parse(text)
        XCTAssertEqual(stat.comm, "evil) (x) S")
        XCTAssertEqual(stat.state, "R")
        XCTAssertEqual(stat.ppid, 1)
        XCTAssertEqual(stat.flags, 4194560)
        XCTAssertEqual(stat.startTicks, 987654)
        XCTAssertFalse(stat.hasExited)
    }

    func testStatKernelThreadAndZombie() throws {
        let kthread = try ProcStat.parse("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0")
        XCTAssertTrue(kthread.isKernelThread)
        let zombie = try ProcStat.parse("77 (sh) Z 1 77 77 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0")
        XCTAssertTrue(zombie.hasExited)
        XCTAssertFalse(zombie.isKernelThread)
    }

    func testStatErrorsNameTheField() {
        XCTAssertThrowsError(try ProcStat.parse("garbage without parens")) {
            XCTAssertEqual(($0 as? ProcParseError)?.description, "stat: no parenthesised comm field")
        }
        XCTAssertThrowsError(try ProcStat.parse("1 (a) S 0 1")) {
            XCTAssertEqual(($0 as? ProcParseError)?.reason, "only 5 fields, field 9 missing")
        }
        XCTAssertThrowsError(try ProcStat.parse("1 (a) S x 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5")) {
            XCTAssertEqual(($0 as? ProcParseError)?.reason, "field 4 (ppid) is not a number")
        }
    }

    // MARK: status

    static let status = """
        Name:\tbash
        Umask:\t0022
        State:\tS (sleeping)
        Tgid:\t812
        Pid:\t812
        PPid:\t800
        Uid:\t1000\t0\t0\t0
        Gid:\t100\t101\t101\t101
        CapInh:\t0000000000000000
        CapPrm:\t000001ffffffffff
        CapEff:\t000001ffffffffff
        """

    func testStatusFields() {
        let s = ProcStatus.parse(Self.status)
        XCTAssertEqual(s.name, "bash")
        XCTAssertEqual(s.tgid, 812)
        XCTAssertEqual(s.ppid, 800)
        XCTAssertEqual(s.credentials, Credentials(uid: 1000, euid: 0, gid: 100, egid: 101, capEff: 0x1ff_ffff_ffff))
        XCTAssertEqual(s.problems, [])
    }

    func testGarbageStatusKeepsGoodFieldsAndNamesTheBadLines() {
        let s = ProcStatus.parse("PPid:\tnot-a-pid\nUid:\t1 2\nGid:\t0\t0\t0\t0\nCapEff:\tzzzz\n\u{0}\u{1}binary")
        XCTAssertNil(s.ppid)
        XCTAssertNil(s.uids)
        XCTAssertEqual(s.gids, [0, 0, 0, 0])
        XCTAssertNil(s.credentials)
        XCTAssertNil(s.capEff)
        let reasons = s.problems.map(\.reason)
        XCTAssertTrue(reasons.contains { $0.hasPrefix("line 1: PPid") }, "\(reasons)")
        XCTAssertTrue(reasons.contains { $0.hasPrefix("line 2: Uid") }, "\(reasons)")
        XCTAssertTrue(reasons.contains { $0.hasPrefix("line 4: CapEff") }, "\(reasons)")
        XCTAssertTrue(reasons.contains("no valid Uid line"))
    }

    /// The status parser told keys apart with a generic comparison per key and line; it now reads a
    /// buffer pointer. Held to that version here over this machine's real status files and every
    /// truncation and hostile variant of the fixture.
    func testStatusParserMatchesTheSequenceComparisonVersion() throws {
        func reference(_ bytes: [UInt8]) -> ProcStatus {
            var s = ProcStatus()
            var lineNumber = 0
            var lineStart = 0
            while lineStart <= bytes.count {
                let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                defer { lineStart = lineEnd + 1 }
                lineNumber += 1
                let line = bytes[lineStart..<lineEnd]
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
                let key = line[lineStart..<colon]
                var valueStart = colon + 1
                while valueStart < lineEnd && (bytes[valueStart] == UInt8(ascii: "\t") || bytes[valueStart] == UInt8(ascii: " ")) { valueStart += 1 }
                let value = bytes[valueStart..<lineEnd]
                func text() -> String { String(decoding: value, as: UTF8.self) }
                func bad(_ what: String) {
                    s.problems.append(ProcParseError(file: "status", reason: "line \(lineNumber): \(what) \"\(text().prefix(40))\""))
                }
                func ids() -> [UInt32]? {
                    let parts = value.split(whereSeparator: { $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: " ") })
                    let parsed = parts.compactMap { UInt32(String(decoding: $0, as: UTF8.self)) }
                    return parts.count == 4 && parsed.count == 4 ? parsed : nil
                }
                if key.elementsEqual("Name".utf8) {
                    s.name = text()
                } else if key.elementsEqual("Tgid".utf8) {
                    if let v = Int32(text()) { s.tgid = v } else { bad("Tgid is not a pid:") }
                } else if key.elementsEqual("PPid".utf8) {
                    if let v = Int32(text()) { s.ppid = v } else { bad("PPid is not a pid:") }
                } else if key.elementsEqual("Uid".utf8) {
                    if let v = ids() { s.uids = v } else { bad("Uid is not four ids:") }
                } else if key.elementsEqual("Gid".utf8) {
                    if let v = ids() { s.gids = v } else { bad("Gid is not four ids:") }
                } else if key.elementsEqual("CapEff".utf8) {
                    if value.count <= 16, let v = UInt64(text(), radix: 16) { s.capEff = v } else { bad("CapEff is not a 64-bit hex mask:") }
                }
            }
            if s.uids == nil { s.problems.append(ProcParseError(file: "status", reason: "no valid Uid line")) }
            if s.gids == nil { s.problems.append(ProcParseError(file: "status", reason: "no valid Gid line")) }
            return s
        }

        var inputs: [[UInt8]] = []
        // Real files: whatever processes this machine runs (read once; each is compared with itself).
        let pids = try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { Int32($0) != nil }.prefix(200)
        for pid in pids { if let data = FileManager.default.contents(atPath: "/proc/\(pid)/status") { inputs.append(Array(data)) } }
        XCTAssertGreaterThan(inputs.count, 5, "this machine's /proc/<pid>/status files")
        let fixture = Array(Self.status.utf8)
        for cut in 0...fixture.count { inputs.append(Array(fixture.prefix(cut))) }
        for hostile in ["Uid :\t0\t0\t0\t0\n", "uid:\t0\t0\t0\t0\n", "Uid:\t0\t0\t0\t0\nUid:\t1\t1\t1\t1\n", "Uidx:\t1\n", "Ui:\t1\n",
                        "CapEff:\t\n", "CapEff:\t00000000000000000\n", "CapEf:\t1\n", "Name:\t\u{0}\u{ff}x\n", ":\n::\n", "Tgid:12\nPPid: \t 7\n",
                        "\n\n\n", "Gid:\t1\t2\t3\t4", "Name:\té\nTgid:\t٣\n"] {
            inputs.append(Array(hostile.utf8))
            inputs.append(fixture + Array(hostile.utf8))
        }
        inputs.append([0xff, 0xfe, 0x3a, 0x0a, 0x55, 0x69, 0x64, 0x3a])
        for input in inputs {
            XCTAssertEqual(ProcStatus.parse(utf8: input), reference(input), String(decoding: input.prefix(80), as: UTF8.self).debugDescription)
        }
    }

    /// The syscall line is parsed from bytes in place; held to the split-and-String version it replaced.
    func testSyscallParserMatchesTheStringVersion() {
        func reference(_ bytes: [UInt8]) -> ProcSyscall? {
            let fields = bytes.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") })
            guard fields.count >= 7, let number = Int64(String(decoding: fields[0], as: UTF8.self)), number >= 0 else { return nil }
            var arguments: [UInt64] = []
            for field in fields[1...6] {
                guard field.starts(with: "0x".utf8),
                      let value = UInt64(String(decoding: field.dropFirst(2), as: UTF8.self), radix: 16) else { return nil }
                arguments.append(value)
            }
            return ProcSyscall(number: number, arguments: arguments)
        }
        var lines = ["257 0xffffff9c 0x7ffd1c2e 0x80000 0x0 0x0 0x0 0x7ffd1c2d8a48 0x7f5c9a1e8b7d\n", "running\n", "-1 0x7ffd 0x7f12\n",
                     "0 0x0 0x0 0x0 0x0 0x0 0x0", "257 0xFFFFFF9C 0x1 0x2 0x3 0x4 0x5", "+257 0x1 0x2 0x3 0x4 0x5 0x6", "-0 0x1 0x2 0x3 0x4 0x5 0x6",
                     "257 0x-1 0x2 0x3 0x4 0x5 0x6", "257 0x+1 0x2 0x3 0x4 0x5 0x6", "257 0x 0x2 0x3 0x4 0x5 0x6", "257 0xffffffffffffffff 0x2 0x3 0x4 0x5 0x6",
                     "257 0x1ffffffffffffffff 0x2 0x3 0x4 0x5 0x6", "257 0x00000000000000001 0x2 0x3 0x4 0x5 0x6", "257 1 0x2 0x3 0x4 0x5 0x6",
                     "999999999999999999 0x1 0x2 0x3 0x4 0x5 0x6", "9999999999999999999 0x1 0x2 0x3 0x4 0x5 0x6", "00257 0x1 0x2 0x3 0x4 0x5 0x6",
                     "  257   0x1\n\n0x2 0x3  0x4 0x5 0x6  ", "257 0x1 0x2 0x3 0x4 0x5", "257\t0x1 0x2 0x3 0x4 0x5 0x6 0x7", "٣ 0x1 0x2 0x3 0x4 0x5 0x6",
                     "257 0xg 0x2 0x3 0x4 0x5 0x6", "", "\n", "257 0x1 0x2 0x3 0x4 0x5 0x6 garbage more"]
        // This machine's own: whatever its tasks are blocked in.
        for pid in ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter({ Int32($0) != nil }).prefix(100) {
            if let data = FileManager.default.contents(atPath: "/proc/\(pid)/syscall") { lines.append(String(decoding: data, as: UTF8.self)) }
        }
        for line in lines {
            let bytes = Array(line.utf8)
            XCTAssertEqual(ProcSyscall.parse(utf8: bytes), reference(bytes), line.debugDescription)
            for cut in 0..<bytes.count where cut % 3 == 0 {
                XCTAssertEqual(ProcSyscall.parse(utf8: Array(bytes.prefix(cut))), reference(Array(bytes.prefix(cut))), "\(line.debugDescription) cut at \(cut)")
            }
        }
    }

    func testThreadStatusNamesItsProcessAndBadTgidIsReported() {
        let thread = ProcStatus.parse("Name:\tworker\nTgid:\t4242\nPid:\t4243\nPPid:\t100\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n")
        XCTAssertEqual(thread.tgid, 4242, "a thread's /proc/<tid>/status gives its process id in Tgid")
        let bad = ProcStatus.parse("Tgid:\tabc\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n")
        XCTAssertNil(bad.tgid)
        XCTAssertEqual(bad.problems.map(\.reason), ["line 1: Tgid is not a pid: \"abc\""])
    }

    // MARK: cmdline

    func testCmdlineSplitsOnNulKeepsEmptyArguments() {
        XCTAssertEqual(CmdlineParser.parse(Array("/bin/sh\0-c\0\0echo hi\0".utf8)), ["/bin/sh", "-c", "", "echo hi"])
        XCTAssertEqual(CmdlineParser.parse(Array("nginx: worker process".utf8)), ["nginx: worker process"])
        XCTAssertNil(CmdlineParser.parse([UInt8]()))
        XCTAssertEqual(CmdlineParser.parse([0xFF, 0x00]), ["\u{FFFD}"])
        // Cut at the byte limit: the last argument is kept as read.
        XCTAssertEqual(CmdlineParser.parse(Array("python3\0-c\0open(".utf8)), ["python3", "-c", "open("])
    }

    // MARK: cgroup

    func testCgroupV2LineWinsWhenNotRoot() {
        let text = "12:memory:/something\n0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-abc.scope\n"
        XCTAssertEqual(CgroupSelection.choose(text), "/kubepods.slice/kubepods-burstable.slice/cri-containerd-abc.scope")
    }

    func testCgroupFallsBackToLongestV1PathWhenV2IsRoot() {
        let id = String(repeating: "a1", count: 32)
        let text = """
            12:cpuset:/
            11:memory:/docker/\(id)
            10:cpu,cpuacct:/docker
            1:name=systemd:/docker/\(id)/sub
            0::/
            """
        XCTAssertEqual(CgroupSelection.choose(text), "/docker/\(id)/sub")
    }

    func testCgroupRootAndGarbage() {
        XCTAssertEqual(CgroupSelection.choose("0::/\n"), "/")
        XCTAssertEqual(CgroupSelection.choose("3:cpu:/\n"), "/")
        XCTAssertNil(CgroupSelection.choose("garbage\nmore:garbage\n"))
        XCTAssertEqual(CgroupSelection.choose("x:y:/bad-id\n0::/a:b:c\n"), "/a:b:c", "paths may contain ':'")
    }

    func testV1HierarchiesAreToldFromAV2OnlyFile() {
        func lists(_ text: String) -> Bool { CgroupSelection.listsV1Hierarchy(utf8: Array(text.utf8)) }
        for v2Only in ["", "0::/\n", "0::/kubepods/a\n", "\n0::/", "0::/\n\n"] { XCTAssertFalse(lists(v2Only), v2Only.debugDescription) }
        for withV1 in ["4:memory:/x\n0::/\n", "0::/\n1:cpu:/\n", "1:name=systemd:/", "0:cpu:/\n", "01::/\n", "0"] {
            XCTAssertTrue(lists(withV1), withV1.debugDescription)
        }
    }

    /// The byte walk against the split-and-parse it replaced, over random files built from the
    /// pieces that matter: ids with signs, letters and overflow, empty and colon-filled
    /// controllers, root, relative and colon-holding paths, blank lines, a missing final newline.
    func testCgroupSelectionMatchesTheSplittingReference() {
        func reference(_ bytes: [UInt8]) -> String? {
            var unified: ArraySlice<UInt8>?
            var longestV1: ArraySlice<UInt8>?
            for line in bytes.split(separator: UInt8(ascii: "\n")) {
                guard let firstColon = line.firstIndex(of: UInt8(ascii: ":")),
                      let secondColon = line[(firstColon + 1)...].firstIndex(of: UInt8(ascii: ":")) else { continue }
                let id = line[line.startIndex..<firstColon]
                let controllers = line[(firstColon + 1)..<secondColon]
                let path = line[(secondColon + 1)...]
                guard path.first == UInt8(ascii: "/"), Int(String(decoding: id, as: UTF8.self)) != nil else { continue }
                if id.elementsEqual("0".utf8) && controllers.isEmpty {
                    unified = path
                } else if path.count > (longestV1?.count ?? 0) {
                    longestV1 = path
                }
            }
            func text(_ b: ArraySlice<UInt8>) -> String { String(decoding: b, as: UTF8.self) }
            if let unified, !unified.elementsEqual("/".utf8) { return text(unified) }
            if let longestV1, !longestV1.elementsEqual("/".utf8) { return text(longestV1) }
            return (unified ?? longestV1).map(text)
        }
        let ids = ["0", "1", "12", "+3", "-4", "00", "", "x", "1a", "+", "-", "9223372036854775807", "9223372036854775808",
                   "-9223372036854775808", "123456789012345678", "1234567890123456789"]
        let controllers = ["", "cpu", "cpu,cpuacct", "name=systemd", ":", "a:b"]
        let paths = ["/", "/a", "/kubepods.slice/cri-containerd-abc.scope", "relative", "", "/a:b:c", "//", "/\u{e9}"]
        var rng = SystemRandomNumberGenerator()
        for round in 0..<3000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: text += "\n"
                case 1: text += "garbage\n"
                default: text += "\(ids.randomElement(using: &rng)!):\(controllers.randomElement(using: &rng)!):\(paths.randomElement(using: &rng)!)\n"
                }
            }
            if Bool.random(using: &rng), text.hasSuffix("\n") { text.removeLast() }
            let bytes = Array(text.utf8)
            XCTAssertEqual(CgroupSelection.choose(utf8: bytes), reference(bytes), "round \(round): \(text.debugDescription)")
        }
    }

    /// The in-place cmdline walk against splitting on NUL, over every byte string of length 0-6 drawn
    /// from NUL, ASCII and invalid UTF-8 bytes.
    func testCmdlineParserMatchesTheSplittingReference() {
        func reference(_ bytes: [UInt8]) -> [String]? {
            guard !bytes.isEmpty else { return nil }
            var parts = bytes.split(separator: 0, omittingEmptySubsequences: false)
            if bytes.last == 0 { parts.removeLast() }
            return parts.map { String(decoding: $0, as: UTF8.self) }
        }
        let alphabet: [UInt8] = [0, UInt8(ascii: "a"), 0xFF, 0xC3, 0xA9]
        var inputs: [[UInt8]] = [[]]
        for _ in 1...6 { inputs += inputs.filter { $0.count == inputs.last!.count }.flatMap { p in alphabet.map { p + [$0] } } }
        for bytes in inputs { XCTAssertEqual(CmdlineParser.parse(bytes), reference(bytes), "\(bytes)") }
    }

    // MARK: syscall

    func testSyscallLineOfAHeldOpenat() throws {
        // openat(AT_FDCWD, path, O_RDONLY|O_CLOEXEC) as /proc/<tid>/syscall shows it.
        let line = "257 0xffffffffffffff9c 0x7ffd5a3c 0x80000 0x0 0x0 0x0 0x7ffd5a00 0x7f1234567890\n"
        let call = try XCTUnwrap(ProcSyscall.parse(utf8: Array(line.utf8)))
        XCTAssertEqual(call.number, 257)
        XCTAssertEqual(call.arguments, [0xffff_ffff_ffff_ff9c, 0x7ffd5a3c, 0x80000, 0, 0, 0])
        XCTAssertNil(ProcSyscall.parse(utf8: Array("running\n".utf8)))
        XCTAssertNil(ProcSyscall.parse(utf8: Array("-1 0x7ffd 0x7f12\n".utf8)), "blocked outside a syscall")
        XCTAssertNil(ProcSyscall.parse(utf8: Array("257 0xzz 0x0 0x0 0x0 0x0 0x0 0x0 0x0".utf8)))
        XCTAssertNil(ProcSyscall.parse(utf8: Array("257 0x1 0x2".utf8)), "fewer than six arguments")
        XCTAssertNil(ProcSyscall.parse(utf8: []))
    }

    func testOpenFlagsDecodeToAccess() {
        XCTAssertEqual(OpenAccess(openFlags: 0x80000), .readOnly)
        XCTAssertEqual(OpenAccess(openFlags: 0x441), .writeOnly)   // O_WRONLY|O_CREAT|O_APPEND
        XCTAssertEqual(OpenAccess(openFlags: 0x2), .readWrite)
        XCTAssertEqual(OpenAccess(openFlags: 0x3), .unknown)
        XCTAssertTrue(OpenAccess.writeOnly.isWriteOnly)
        XCTAssertFalse(OpenAccess.readWrite.isWriteOnly, "O_RDWR can read the file: it is a read")
        #if arch(x86_64)
        XCTAssertEqual(OpenFlagsSource(syscallNumber: 257), .argument(2))
        XCTAssertEqual(OpenFlagsSource(syscallNumber: 2), .argument(1))
        XCTAssertEqual(OpenFlagsSource(syscallNumber: 437), .openHowPointer(2))
        XCTAssertEqual(OpenFlagsSource(syscallNumber: 85), .creat)
        XCTAssertEqual(OpenFlagsSource(syscallNumber: 59), .exec)
        XCTAssertNil(OpenFlagsSource(syscallNumber: 0), "read(2) opens nothing")
        #endif
    }

    // MARK: descriptors

    func testDescriptorKinds() {
        func kind(_ t: String) -> DescriptorInfo.Kind { DescriptorClassifier.classify(fd: 1, target: t).kind }
        XCTAssertEqual(DescriptorClassifier.classify(fd: 1, target: "pipe:[31337]"), DescriptorInfo(fd: 1, kind: .pipe, target: "pipe:[31337]", inode: 31337))
        XCTAssertEqual(DescriptorClassifier.classify(fd: 0, target: "socket:[42]").inode, 42)
        XCTAssertEqual(kind("socket:[42]"), .socket)
        XCTAssertEqual(kind("/dev/pts/3"), .tty)
        XCTAssertEqual(kind("/dev/tty1"), .tty)
        XCTAssertEqual(kind("/dev/console"), .tty)
        XCTAssertEqual(kind("/dev/null"), .devnull)
        XCTAssertEqual(kind("anon_inode:[eventfd]"), .anon)
        XCTAssertEqual(kind("/tmp/payload (deleted)"), .deleted)
        XCTAssertEqual(kind("/var/log/app.log"), .file)
        XCTAssertEqual(kind("net:[4026531840]"), .other)
        XCTAssertEqual(kind("pipe:[notanumber]"), .other)
    }

    // MARK: net

    func testTCPv4LineDecodesLittleEndianAddressPortAndState() throws {
        let line = "   3: 0100007F:A2C4 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 20 4 30 10 -1"
        let (inode, socket) = try ProcNetParser.parseInetLine(line[...], family: "inet", proto: "tcp", file: "net/tcp")
        XCTAssertEqual(inode, 123456)
        XCTAssertEqual(socket, DescriptorInfo.Socket(family: "inet", proto: "tcp", localAddress: "127.0.0.1", localPort: 0xA2C4,
                                                     remoteAddress: "127.0.0.1", remotePort: 8080, state: "ESTABLISHED"))
        XCTAssertTrue(socket.isConnectedInet)
    }

    func testListenerHasNoRemote() throws {
        let line = "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000 100 0 0 10 0"
        let (_, socket) = try ProcNetParser.parseInetLine(line[...], family: "inet", proto: "tcp", file: "net/tcp")
        XCTAssertEqual(socket.state, "LISTEN")
        XCTAssertNil(socket.remoteAddress)
        XCTAssertFalse(socket.isConnectedInet)
    }

    func testTCPv6WordsDecode() throws {
        // [2001:db8::1]:443 ← [::ffff:198.51.100.7]:51000 as the kernel prints them (4 host-order words).
        let line = "   1: B80D0120000000000000000001000000:01BB 0000000000000000FFFF0000076433C6:C738 06 00000000:00000000 00:00000000 00000000  1000        0 5555 1"
        let (inode, socket) = try ProcNetParser.parseInetLine(line[...], family: "inet6", proto: "tcp", file: "net/tcp6")
        XCTAssertEqual(inode, 5555)
        XCTAssertEqual(socket.localAddress, "2001:db8::1")
        XCTAssertEqual(socket.localPort, 443)
        XCTAssertEqual(socket.remoteAddress, "::ffff:198.51.100.7")
        XCTAssertEqual(socket.remotePort, 51000)
        XCTAssertEqual(socket.state, "TIME_WAIT")
    }

    func testUDPLine() throws {
        let line = "  127: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 16001 2 0000000000000000 0"
        let (_, socket) = try ProcNetParser.parseInetLine(line[...], family: "inet", proto: "udp", file: "net/udp")
        XCTAssertEqual(socket, DescriptorInfo.Socket(family: "inet", proto: "udp", localAddress: "127.0.0.1", localPort: 53, state: "CLOSE"))
    }

    func testMalformedInetLinesNameTheProblem() {
        XCTAssertThrowsError(try ProcNetParser.parseInetLine("  0: 0100007F:1F90"[...], family: "inet", proto: "tcp", file: "net/tcp")) {
            XCTAssertTrue(($0 as? ProcParseError)?.description.hasPrefix("net/tcp: 2 fields") ?? false, "\($0)")
        }
        let badAddress = "   0: 0100007G:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1"
        XCTAssertThrowsError(try ProcNetParser.parseInetLine(badAddress[...], family: "inet", proto: "tcp", file: "net/tcp")) {
            XCTAssertTrue(($0 as? ProcParseError)?.reason.hasPrefix("bad local address") ?? false, "\($0)")
        }
    }

    /// Found by fuzzing: an address field of 8 bytes but fewer characters (a multi-byte character)
    /// trapped on an index past its end; it is a bad address now.
    func testAnAddressWithAMultiByteCharacterIsBadNotATrap() {
        let line = "   0: 020000\u{00C3}\u{00A9}:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1"
        XCTAssertNil(ProcNetParser.endpoint("0200\u{00E9}0A:0016"[...], family: "inet"))
        XCTAssertThrowsError(try ProcNetParser.parseInetLine(line[...], family: "inet", proto: "tcp", file: "net/tcp"))
        XCTAssertEqual(ProcNetParser.endpoint("0100007f:1F90"[...], family: "inet")?.0, "127.0.0.1", "lower-case hex still reads")
    }

    func testUnixLinesWithPathsAndPaddedInodes() throws {
        let (inode, socket) = try ProcNetParser.parseUnixLine("0000000000000000: 00000003 00000000 00000000 0001 03  4242 /run/my app.sock"[...])
        XCTAssertEqual(inode, 4242)
        XCTAssertEqual(socket, DescriptorInfo.Socket(family: "unix", proto: "stream", localAddress: "/run/my app.sock"))
        let (_, anonymous) = try ProcNetParser.parseUnixLine("0000000000000000: 00000002 00000000 00000000 0002 01 17"[...])
        XCTAssertEqual(anonymous, DescriptorInfo.Socket(family: "unix", proto: "dgram"))
    }

    /// A connected socket whose local port has a listener was accepted (inbound); one on an
    /// ephemeral port nobody listens on was connected out (inbound stays nil).
    func testFindMarksAcceptedConnectionsInbound() {
        let text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:115C 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 500 1
               1: 0200A8C0:115C 0900A8C0:C738 01 00000000:00000000 00:00000000 00000000     0        0 501 1
               2: 0200A8C0:9C40 0900A8C0:115C 01 00000000:00000000 00:00000000 00000000     0        0 502 1
            """
        var problems: [ProcParseError] = []
        let accepted = ProcNetParser.find(inode: 501, table: "tcp", text: text, problems: &problems)
        XCTAssertEqual(accepted?.inbound, true)
        XCTAssertEqual(accepted?.localPort, 4444)
        XCTAssertEqual(accepted?.remotePort, 51_000)
        XCTAssertNil(ProcNetParser.find(inode: 502, table: "tcp", text: text, problems: &problems)?.inbound)
        XCTAssertNil(ProcNetParser.find(inode: 500, table: "tcp", text: text, problems: &problems)?.inbound, "the listener itself")
        // Listener gone (busybox nc closes it at accept): a local port outside the ephemeral range still says inbound.
        let closed = text.replacingOccurrences(of: " 0A ", with: " 07 ")
        XCTAssertEqual(ProcNetParser.find(inode: 501, table: "tcp", text: closed, problems: &problems)?.inbound, true)
        XCTAssertNil(ProcNetParser.find(inode: 502, table: "tcp", text: closed, problems: &problems)?.inbound)
        XCTAssertEqual(problems.count, 0)
    }

    func testFindSkipsHeaderAndReportsBadLinesButStillFinds() {
        let text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1
               1: broken line 777
               2: 0100007F:A2C4 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 888 1
            """
        var problems: [ProcParseError] = []
        let socket = ProcNetParser.find(inode: 888, table: "tcp", text: text, problems: &problems)
        XCTAssertEqual(socket?.remotePort, 8080)
        XCTAssertEqual(problems.count, 0, "the broken line does not contain 888, so it is never parsed")
        let again = ProcNetParser.find(inode: 777, table: "tcp", text: text, problems: &problems)
        XCTAssertEqual(again?.state, "LISTEN")
        XCTAssertEqual(problems.count, 0)
        XCTAssertNil(ProcNetParser.find(inode: 12, table: "tcp", text: text + "\n 9: 12 garbage", problems: &problems))
        XCTAssertEqual(problems.map(\.file), ["net/tcp"])
    }

    func testTCPStateNames() {
        XCTAssertEqual(ProcNetParser.tcpStateName(0x02), "SYN_SENT")
        XCTAssertEqual(ProcNetParser.tcpStateName(0x0A), "LISTEN")
        XCTAssertEqual(ProcNetParser.tcpStateName(0x63), "UNKNOWN(99)")
    }
}
