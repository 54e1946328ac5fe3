// SPDX-License-Identifier: Apache-2.0
// `thread.cap_effective`: alerts name the effective capabilities of their process (Falco's field,
// space-separated names) through a naming function the live CLI injects (libcap); without one
// (replay, golden tests) no field is added, so existing outputs are unchanged.

import XCTest
@testable import RuntimeWatchCore

final class AlertCapabilityNamesTests: XCTestCase {
    /// A stand-in for libcap's names: the three the tests use.
    static let names: @Sendable (Int) -> String? = { [0: "CAP_CHOWN", 12: "CAP_NET_ADMIN", 21: "CAP_SYS_ADMIN"][$0] }
    static let capEff: UInt64 = 1 << 0 | 1 << 12 | 1 << 21 | 1 << 40

    /// The fixture tree plus pid 140 (child of sh 100) whose exec carried CapEff.
    private func stateWithCapabilities() -> SystemState {
        var state = Fixture.state(inContainer: true)
        state.apply(Fixture.record(0.5, .fork(ForkEvent(parent: ProcessID(100), child: ProcessID(140)))))
        state.apply(Fixture.record(0.6, .exec(ProcessInfo(pid: ProcessID(140), ppid: ProcessID(100), comm: "cat", exe: "/bin/busybox",
                                                         argv: ["cat", "token"], cwd: "/",
                                                         credentials: Credentials(uid: 0, euid: 0, gid: 0, egid: 0, capEff: Self.capEff),
                                                         cgroup: Fixture.cgroup))))
        return state
    }

    func testCapabilityNamesAreSpaceSeparatedInNumberOrderWithUnknownsByNumber() {
        XCTAssertEqual(AlertBuilder.capabilityNames(mask: Self.capEff, name: Self.names), "CAP_CHOWN CAP_NET_ADMIN CAP_SYS_ADMIN CAP_40")
        XCTAssertEqual(AlertBuilder.capabilityNames(mask: 0, name: Self.names), "")
    }

    /// The engine's memo gives what naming each mask afresh gives, through repeats and changes of mask,
    /// and asks the naming function again only when the mask changes.
    func testCapabilityNameMemoMatchesNamingEachMaskAfresh() {
        var memo = CapabilityNameMemo()
        var lookups = 0
        let counting: (Int) -> String? = { lookups += 1; return Self.names($0) }
        let masks: [UInt64] = [Self.capEff, Self.capEff, 0, 0, 1 << 12, Self.capEff, 1 << 12, 1 << 12, .max, .max, 0]
        var expectedLookups = 0
        var previous: UInt64?
        for mask in masks {
            XCTAssertEqual(memo.names(of: mask, name: counting), AlertBuilder.capabilityNames(mask: mask, name: Self.names), "mask \(mask)")
            if mask != previous { expectedLookups += mask.nonzeroBitCount }
            previous = mask
            XCTAssertEqual(lookups, expectedLookups, "after mask \(mask): a repeated mask is not named again")
        }
    }

    func testAlertAboutAProcessWithKnownCapEffGetsTheNames() {
        let state = stateWithCapabilities()
        let record = Fixture.tokenOpen(1, pid: 140)
        let alert = AlertBuilder.build(rule: .serviceAccountTokenRead, output: "x", record: record, pid: ProcessID(140), state: state, hostname: "n")
        XCTAssertNil(alert.fields["thread.cap_effective"], "no field unless a naming function is given")
        let named = AlertBuilder.addingCapabilityNames(to: alert, record: record, state: state, name: Self.names)
        XCTAssertEqual(named.fields["thread.cap_effective"], .string("CAP_CHOWN CAP_NET_ADMIN CAP_SYS_ADMIN CAP_40"))
        XCTAssertEqual(named.fields.count, alert.fields.count + 1, "only thread.cap_effective is added")

        // pid 130's exec carried no CapEff: nothing to name.
        let other = AlertBuilder.build(rule: .serviceAccountTokenRead, output: "x", record: Fixture.tokenOpen(1), pid: ProcessID(130), state: state, hostname: "n")
        XCTAssertEqual(AlertBuilder.addingCapabilityNames(to: other, record: Fixture.tokenOpen(1), state: state, name: Self.names), other)
    }

    /// The default namer is Core's fixed table (the same live, in replay and in tests); a custom
    /// one is used when set; nil adds no field.
    func testEngineNamesCapabilitiesWithTheTableByDefault() {
        for namer in ["default", "custom", "none"] {
            var configuration = EngineConfiguration(hostname: "node-1", foldWindowNanoseconds: 0)
            if namer == "custom" { configuration.capabilityName = Self.names }
            if namer == "none" { configuration.capabilityName = nil }
            let sink = InMemoryAlertSink()
            var engine = Engine(configuration: configuration, detectors: [FakeDetector()], profile: Profile(), sink: sink)
            for r in Fixture.processTree(inContainer: true) { engine.process(r) }
            engine.process(Fixture.record(0.5, .fork(ForkEvent(parent: ProcessID(100), child: ProcessID(140)))))
            engine.process(Fixture.record(0.6, .exec(ProcessInfo(pid: ProcessID(140), ppid: ProcessID(100), comm: "cat", exe: "/bin/busybox",
                                                                argv: ["cat", "token"], cwd: "/",
                                                                credentials: Credentials(uid: 0, euid: 0, gid: 0, egid: 0, capEff: Self.capEff),
                                                                cgroup: Fixture.cgroup))))
            engine.process(Fixture.tokenOpen(1, pid: 140))
            engine.finish()
            let alerts = sink.alerts.filter { $0.ruleID == "service-account-token-read" }
            XCTAssertEqual(alerts.count, 1)
            let expected: [String: FieldValue?] = [
                "default": .string("CAP_CHOWN CAP_NET_ADMIN CAP_SYS_ADMIN CAP_CHECKPOINT_RESTORE"),
                "custom": .string("CAP_CHOWN CAP_NET_ADMIN CAP_SYS_ADMIN CAP_40"),
                "none": nil]
            XCTAssertEqual(alerts.first?.fields["thread.cap_effective"], expected[namer]!, "namer: \(namer)")
        }
    }
}
