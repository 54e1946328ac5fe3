// SPDX-License-Identifier: Apache-2.0
// `runtime-watch hardening`: what the running monitor keeps after start-up (capabilities by name,
// with the reason for each) and which syscalls its seccomp filter allows, group by group.

import ArgumentParser
import RuntimeWatchSystem

extension RuntimeWatch {
    struct HardeningCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hardening",
            abstract: "Print the capabilities `run` keeps and the syscalls its seccomp filter allows.")

        @Flag(name: .customLong("no-connect-watch"), help: "As for `run --no-connect-watch` (CAP_AUDIT_CONTROL is then dropped too).")
        var noConnectWatch = false

        func run() throws {
            print("capabilities needed at start-up (the DaemonSet's capabilities.add, the systemd unit's CapabilityBoundingSet):")
            for capability in StartupCapabilities.required { print("  \(capability.name): \(capability.reason)") }
            let kept = SteadyStateCapabilities.kept(connectCapture: !noConnectWatch)
            print("capabilities kept after start-up (effective = permitted = bounding; inheritable and ambient empty):")
            for capability in kept { print("  \(capability.name): \(capability.reason)") }
            let keep = SteadyStateCapabilities.set(connectCapture: !noConnectWatch)
            if let all = try? Capabilities.all() {
                let dropped = CapabilitySet(mask: all.mask & ~keep.mask)
                print("capabilities dropped (\(dropped.numbers.count)): \(dropped)")
            }
            print("no_new_privs: set")
            print("seccomp: \(SeccompPolicy.allowed.count) syscalls allowed; any other is refused with EPERM and reported (--seccomp-action errno) or kills the monitor (--seccomp-action kill)")
            for group in SeccompPolicy.groups {
                print("  \(group.name) — \(group.reason)")
                print("    " + group.syscalls.joined(separator: " "))
            }
        }
    }
}
