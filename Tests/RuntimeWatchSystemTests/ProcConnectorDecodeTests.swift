// SPDX-License-Identifier: Apache-2.0
// The C decoder (rw_procconn_decode, via ProcConnector.decode) on crafted datagrams: every kind,
// several messages per datagram, and every way a length field can lie. Runs without privileges.

import RuntimeWatchSystem
import SystemPackage
import XCTest

final class ProcConnectorDecodeTests: XCTestCase {
    typealias D = ProcConnectorDatagram

    func testExecEventDecodesEveryHeaderField() {
        var d = D()
        d.message(data: D.event(what: KernelWhat.exec.rawValue, cpu: 3, timestamp: 987_654_321_000, payload: D.words([4242, 4242])), seq: 77)
        let batch = ProcConnector.decode(d.bytes)
        XCTAssertNil(batch.fault)
        XCTAssertEqual(batch.events, [RawProcEvent(kind: .exec, cpu: 3, sequence: 77, timestampNanoseconds: 987_654_321_000, pid: 4242, tgid: 4242)])
    }

    func testForkUidGidPtraceCoredumpExitFields() {
        var d = D()
        d.message(data: D.event(what: KernelWhat.fork.rawValue, payload: D.words([10, 10, 11, 10])))
        d.message(data: D.event(what: KernelWhat.uid.rawValue, payload: D.words([12, 12, 1000, 0])))
        d.message(data: D.event(what: KernelWhat.gid.rawValue, payload: D.words([12, 12, 100, 50])))
        d.message(data: D.event(what: KernelWhat.ptrace.rawValue, payload: D.words([13, 13, 14, 14])))
        d.message(data: D.event(what: KernelWhat.coredump.rawValue, payload: D.words([15, 15, 1, 1])))
        d.message(data: D.event(what: KernelWhat.exit.rawValue, payload: D.words([16, 16, 0x0100, 17, 1, 1])))
        d.message(data: D.event(what: KernelWhat.sid.rawValue, payload: D.words([17, 17])))
        let batch = ProcConnector.decode(d.bytes)
        XCTAssertNil(batch.fault)
        XCTAssertEqual(batch.events.count, 7)
        let e = batch.events
        XCTAssertEqual(e[0].kind, .fork)
        XCTAssertEqual([e[0].pid, e[0].tgid, e[0].childPID, e[0].childTGID], [10, 10, 11, 10])
        XCTAssertEqual(e[1].kind, .uid)
        XCTAssertEqual([e[1].realUID, e[1].effectiveUID], [1000, 0])
        XCTAssertEqual(e[2].kind, .gid)
        XCTAssertEqual([e[2].realGID, e[2].effectiveGID], [100, 50])
        XCTAssertEqual(e[3].kind, .ptrace)
        XCTAssertEqual([e[3].tracerPID, e[3].tracerTGID], [14, 14])
        XCTAssertEqual(e[4].kind, .coredump)
        XCTAssertEqual([e[4].parentPID, e[4].parentTGID], [1, 1])
        XCTAssertEqual(e[5].kind, .exit)
        XCTAssertEqual(e[5].exitStatus, 0x0100)
        XCTAssertEqual(e[5].exitSignal, 17)
        XCTAssertEqual(e[5].parentTGID, 1)
        XCTAssertEqual(e[6].kind, .sid)
        XCTAssertEqual(e[6].tgid, 17)
    }

    func testOlderKernelExitWithoutParentFieldsIsAccepted() {
        var d = D()
        d.message(data: D.event(what: KernelWhat.exit.rawValue, payload: D.words([20, 20, 9, 17])))
        let batch = ProcConnector.decode(d.bytes)
        XCTAssertNil(batch.fault)
        XCTAssertEqual(batch.events.first?.exitStatus, 9)
        XCTAssertEqual(batch.events.first?.parentTGID, 0)
    }

    func testCommWithoutTerminatorIsCutToFifteenBytes() {
        var d = D()
        d.message(data: D.event(what: KernelWhat.comm.rawValue, payload: D.words([5, 5]) + Array("0123456789abcdefXYZ".utf8.prefix(16))))
        let batch = ProcConnector.decode(d.bytes)
        XCTAssertEqual(batch.events.first?.comm, "0123456789abcde")
    }

    func testAckAndUnknownKind() {
        var d = D()
        d.message(data: D.event(what: KernelWhat.none.rawValue, payload: D.words([1])))
        d.message(data: D.event(what: 0x400, payload: D.words([1, 2, 3, 4])))
        let batch = ProcConnector.decode(d.bytes)
        XCTAssertNil(batch.fault)
        XCTAssertEqual(batch.events.map(\.kind), [.none, .unknown(0x400)])
        XCTAssertEqual(batch.events[0].ackError, 1)
    }

    func testOtherConnectorIdsAreSkipped() {
        var d = D()
        d.message(data: [1, 2, 3, 4], idx: 7, val: 1)
        d.message(data: D.event(what: KernelWhat.exec.rawValue, payload: D.words([9, 9])))
        let batch = ProcConnector.decode(d.bytes)
        XCTAssertNil(batch.fault)
        XCTAssertEqual(batch.events.map(\.tgid), [9])
    }

    func testEmptyDatagramHasNoEventsAndNoFault() {
        XCTAssertEqual(ProcConnector.decode([]), ProcMessageBatch(events: []))
    }

    func testTruncatedNetlinkHeader() {
        let batch = ProcConnector.decode(Array(repeating: 0xAB, count: 10))
        XCTAssertEqual(batch.events, [])
        XCTAssertEqual(batch.fault?.reason, .netlinkHeaderTruncated)
        XCTAssertEqual(batch.fault?.errno, .badMessage)
        XCTAssertEqual(batch.fault?.availableLength, 10)
    }

    func testNetlinkLengthPastTheDatagramIsNotRead() {
        var d = D()
        d.message(data: D.event(what: KernelWhat.exec.rawValue, payload: D.words([1, 1])))
        // Cut the datagram in the middle of the event: nlmsg_len now claims more than is there.
        let cut = Array(d.bytes.prefix(50))
        let batch = ProcConnector.decode(cut)
        XCTAssertEqual(batch.events, [])
        XCTAssertEqual(batch.fault?.reason, .netlinkLengthInvalid)
        XCTAssertEqual(batch.fault?.declaredLength, 16 + 20 + 24)
        XCTAssertEqual(batch.fault?.availableLength, 50)
        XCTAssertTrue(batch.fault?.description.contains("nlmsg_len 60") ?? false, batch.fault?.description ?? "")
    }

    func testNetlinkLengthSmallerThanHeaderStopsInsteadOfLooping() {
        var d = D()
        d.message(data: D.event(what: KernelWhat.exec.rawValue, payload: D.words([1, 1])), nlLen: 4)
        let batch = ProcConnector.decode(d.bytes)
        XCTAssertEqual(batch.fault?.reason, .netlinkLengthInvalid)
        XCTAssertEqual(batch.fault?.declaredLength, 4)
    }

    func testConnectorHeaderTruncated() {
        var d = D()
        d.rawMessage(payload: [1, 0, 0, 0, 1, 0, 0, 0])
        let batch = ProcConnector.decode(d.bytes)
        XCTAssertEqual(batch.fault?.reason, .connectorHeaderTruncated)
    }

    func testConnectorLengthPastTheMessage() {
        var d = D()
        d.message(data: D.event(what: KernelWhat.exec.rawValue, payload: D.words([1, 1])), cnLen: 200)
        let batch = ProcConnector.decode(d.bytes)
        XCTAssertEqual(batch.events, [])
        XCTAssertEqual(batch.fault?.reason, .connectorLengthInvalid)
        XCTAssertEqual(batch.fault?.declaredLength, 200)
        XCTAssertEqual(batch.fault?.availableLength, 24)
    }

    func testEventPayloadTooShortForItsKind() {
        var d = D()
        // A fork needs 16 payload bytes; give it 8.
        d.message(data: D.event(what: KernelWhat.fork.rawValue, payload: D.words([1, 1])))
        let batch = ProcConnector.decode(d.bytes)
        XCTAssertEqual(batch.events, [])
        XCTAssertEqual(batch.fault?.reason, .eventTruncated)
        XCTAssertEqual(batch.fault?.kernelWhat, KernelWhat.fork.rawValue)
        XCTAssertEqual(batch.fault?.errno, .badMessage)
    }

    func testEventShorterThanItsHeader() {
        var d = D()
        d.message(data: [2, 0, 0, 0, 0, 0])
        XCTAssertEqual(ProcConnector.decode(d.bytes).fault?.reason, .eventTruncated)
    }

    func testGoodEventsBeforeAMalformedMessageAreKept() {
        var d = D()
        d.message(data: D.event(what: KernelWhat.exec.rawValue, payload: D.words([31, 31])))
        let goodLength = d.bytes.count
        d.message(data: D.event(what: KernelWhat.fork.rawValue, payload: D.words([1, 1, 2, 2])))
        let batch = ProcConnector.decode(Array(d.bytes.prefix(goodLength + 30)))
        XCTAssertEqual(batch.events.map(\.tgid), [31])
        XCTAssertEqual(batch.fault?.reason, .netlinkLengthInvalid)
        XCTAssertEqual(batch.fault?.offset, goodLength)
    }

    func testNetlinkErrorMessageCarriesItsErrno() {
        var d = D()
        var payload: [UInt8] = []
        payload.append(le: Int32(-1)) // -EPERM
        payload += Array(repeating: 0, count: 16)
        d.rawMessage(payload: payload, type: D.nlmsgError)
        let batch = ProcConnector.decode(d.bytes)
        XCTAssertEqual(batch.fault?.reason, .netlinkError)
        XCTAssertEqual(batch.fault?.errno, .notPermitted)
    }

    /// Found by fuzzing: an NLMSG_ERROR whose error is INT32_MIN trapped on negation (the errno is
    /// clamped instead: the datagram is still reported as a netlink error, not a crash).
    func testNetlinkErrorWithTheSmallestCodeIsReportedNotATrap() {
        var d = D()
        var payload: [UInt8] = []
        payload.append(le: Int32.min)
        payload += Array(repeating: 0, count: 16)
        d.rawMessage(payload: payload, type: D.nlmsgError)
        let batch = ProcConnector.decode(d.bytes)
        XCTAssertEqual(batch.fault?.reason, .netlinkError)
        XCTAssertEqual(batch.fault?.errno.rawValue, Int32.max)
    }

    func testMoreEventsThanTheArrayHolds() {
        var d = D()
        for pid in Int32(1)...3 { d.message(data: D.event(what: KernelWhat.exec.rawValue, payload: D.words([pid, pid]))) }
        let batch = ProcConnector.decode(d.bytes, maxEvents: 2)
        XCTAssertEqual(batch.events.map(\.tgid), [1, 2])
        XCTAssertEqual(batch.fault?.reason, .tooManyEvents)
    }

    /// Random garbage and random cuts of valid datagrams: the decoder must never read past the
    /// buffer (ASan would catch it in a sanitizer build; here, no crash) and every outcome must
    /// be either events or a described fault.
    func testGarbageNeverCrashesAndAlwaysExplainsItself() {
        var rng = SplitMix64(seed: 0x5eed)
        var valid = D()
        valid.message(data: D.event(what: KernelWhat.exit.rawValue, payload: D.words([1, 1, 0, 17, 0, 0])))
        valid.message(data: D.event(what: KernelWhat.comm.rawValue, payload: D.words([1, 1]) + Array(repeating: 65, count: 16)))
        for round in 0..<3000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                bytes = Array(valid.bytes.prefix(Int(rng.next() % UInt64(valid.bytes.count + 1))))
                if !bytes.isEmpty { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next()) }
            }
            let batch = ProcConnector.decode(bytes)
            XCTAssertLessThanOrEqual(batch.events.count, ProcConnector.eventsPerDatagram)
            if let fault = batch.fault { XCTAssertFalse(fault.description.isEmpty) }
            XCTAssertLessThanOrEqual(batch.fault?.offset ?? 0, bytes.count)
        }
    }
}

/// Deterministic PRNG so the garbage test is reproducible.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
