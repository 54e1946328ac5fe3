// SPDX-License-Identifier: Apache-2.0
// Self-hardening pieces that run anywhere without changing the test process: capability names
// (libcap), the seccomp allowlist (every name exists on this architecture, nothing dangerous is in
// it), the capability lists, and the /proc status parser. Applying the hardening itself is tested
// on the real monitor binary (HardeningLiveTests), never on the test runner.

import Foundation
import RuntimeWatchSystem
import XCTest

final class HardeningUnitTests: XCTestCase {
    func testCapabilityNamesComeFromLibcapInUpperCase() {
        XCTAssertEqual(Capabilities.name(of: 0), "CAP_CHOWN")
        XCTAssertEqual(Capabilities.name(of: 2), "CAP_DAC_READ_SEARCH")
        XCTAssertEqual(Capabilities.name(of: 12), "CAP_NET_ADMIN")
        XCTAssertEqual(Capabilities.name(of: 19), "CAP_SYS_PTRACE")
        XCTAssertEqual(Capabilities.name(of: 21), "CAP_SYS_ADMIN")
        XCTAssertEqual(Capabilities.name(of: 30), "CAP_AUDIT_CONTROL")
        XCTAssertNil(Capabilities.name(of: -1))
        XCTAssertNil(Capabilities.name(of: 64))
        XCTAssertNil(Capabilities.name(of: 63), "no capability 63 exists")
    }

    func testEveryKernelCapabilityRoundTripsThroughItsName() throws {
        let last = try Capabilities.lastCapability()
        XCTAssertGreaterThanOrEqual(last, 37, "kernel cap_last_cap (CAP_AUDIT_READ is 37 since Linux 3.16)")
        for number in 0...last {
            guard let name = Capabilities.name(of: number) else {
                // libcap older than the kernel: it names the newest ones by number only.
                continue
            }
            XCTAssertEqual(Capabilities.number(named: name), number, name)
        }
        XCTAssertEqual(Capabilities.number(named: "cap_sys_admin"), 21)
        XCTAssertEqual(Capabilities.number(named: "SYS_PTRACE"), 19)
        XCTAssertNil(Capabilities.number(named: "CAP_NOT_A_THING"))
        XCTAssertNil(Capabilities.number(named: "cap_sys_admin,cap_chown"), "one name only")
    }

    func testCapabilitySetPrintsNamesInNumberOrder() {
        let set = CapabilitySet(numbers: [21, 2, 19])
        XCTAssertEqual(set.mask, 1 << 2 | 1 << 19 | 1 << 21)
        XCTAssertEqual(set.description, "CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_SYS_ADMIN")
        XCTAssertEqual(CapabilitySet(mask: 0).description, "")
        XCTAssertEqual(Capabilities.namer(21), "CAP_SYS_ADMIN")
    }

    func testEverySyscallOfThePolicyExistsOnThisArchitecture() {
        var unknown: [String] = []
        for group in SeccompPolicy.groups {
            XCTAssertFalse(group.reason.isEmpty, "group \(group.name) says why it is needed")
            for name in group.syscalls where Seccomp.number(of: name) == nil { unknown.append("\(group.name)/\(name)") }
        }
        XCTAssertEqual(unknown, [], "allowlist names unknown on this architecture")
        #if arch(x86_64)
        XCTAssertEqual(Seccomp.number(of: "read"), 0)
        XCTAssertEqual(Seccomp.number(of: "unshare"), 272)
        #elseif arch(arm64)
        XCTAssertEqual(Seccomp.number(of: "read"), 63)
        XCTAssertEqual(Seccomp.number(of: "unshare"), 97)
        #endif
        XCTAssertNil(Seccomp.number(of: "not_a_syscall"))
        XCTAssertEqual(Seccomp.number(of: "openat").flatMap(Seccomp.name(of:)), "openat")
    }

    func testThePolicyLeavesOutWhatAnAttackerWouldNeed() {
        let allowed = Set(SeccompPolicy.allowed)
        for dangerous in ["execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2",
                          "unshare", "setns", "capset", "setuid", "setgid", "init_module", "finit_module", "delete_module",
                          "bpf", "kexec_load", "reboot", "pivot_root", "chroot", "perf_event_open", "fanotify_init",
                          "open_by_handle_at", "keyctl", "add_key", "userfaultfd", "io_uring_setup", "kill"] {
            XCTAssertFalse(allowed.contains(dangerous), "\(dangerous) must not be allowed")
        }
        XCTAssertTrue(allowed.contains("rt_sigreturn"), "the SIGSYS trap handler returns through rt_sigreturn")
        XCTAssertTrue(allowed.contains("fanotify_mark"), "token rescan adds marks after start-up")
        XCTAssertEqual(SeccompPolicy.allowed, Array(Set(SeccompPolicy.allowed)).sorted())
    }

    func testKeptAndStartupCapabilitiesAreKnownToLibcap() {
        for capability in SteadyStateCapabilities.kept(connectCapture: true) + StartupCapabilities.required {
            XCTAssertNotNil(Capabilities.number(named: capability.name), capability.name)
            XCTAssertFalse(capability.reason.isEmpty, capability.name)
        }
        XCTAssertEqual(SteadyStateCapabilities.set(connectCapture: true).description, "CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_AUDIT_CONTROL")
        XCTAssertEqual(SteadyStateCapabilities.set(connectCapture: false).description, "CAP_DAC_READ_SEARCH CAP_SYS_PTRACE")
        XCTAssertEqual(SteadyStateCapabilities.set(connectCapture: false, killResponse: true).description,
                       "CAP_DAC_READ_SEARCH CAP_KILL CAP_SYS_PTRACE", "a respond: kill keeps CAP_KILL, and only then")
        XCTAssertNotNil(Capabilities.number(named: "CAP_KILL"))
        XCTAssertFalse(SeccompPolicy.allowed.contains("kill"))
        XCTAssertEqual(Set(SeccompPolicy.allowed(killResponse: true)).subtracting(SeccompPolicy.allowed), ["kill"],
                       "respond: kill adds exactly the kill syscall")
        let startup = Set(StartupCapabilities.required.map(\.name))
        XCTAssertTrue(Set(SteadyStateCapabilities.kept(connectCapture: true).map(\.name)).isSubset(of: startup),
                      "the steady state keeps a subset of what start-up is given")
    }

    func testStatusParserReadsCapabilitiesSeccompAndNoNewPrivs() {
        let status = """
            Name:\truntime-watch
            CapInh:\t0000000000000000
            CapPrm:\t0000000040080004
            CapEff:\t0000000040080004
            CapBnd:\t0000000040080004
            CapAmb:\t0000000000000000
            NoNewPrivs:\t1
            Seccomp:\t2
            Seccomp_filters:\t1
            """
        let parsed = ThreadCapabilityStatus(parsing: status)
        XCTAssertEqual(parsed.effective, 0x40080004)
        XCTAssertEqual(CapabilitySet(mask: parsed.effective).description, "CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_AUDIT_CONTROL")
        XCTAssertEqual(parsed.bounding, 0x40080004)
        XCTAssertEqual(parsed.seccompMode, 2)
        XCTAssertEqual(parsed.noNewPrivileges, true)
        let broken = ThreadCapabilityStatus(parsing: "CapEff:\tzz\nSeccomp:\n")
        XCTAssertEqual(broken.effective, 0)
        XCTAssertNil(broken.seccompMode)
        XCTAssertNil(broken.noNewPrivileges)
    }

    func testRefusalCounterStartsEmptyInAnUnfilteredProcess() {
        var counter = SeccompRefusalCounter()
        XCTAssertEqual(counter.poll(), [], "nothing refused in the test runner (no filter installed)")
    }
}
