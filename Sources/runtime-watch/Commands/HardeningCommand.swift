// SPDX-License-Identifier: Apache-2.0
// `runtime-watch hardening`: what the running monitor keeps after start-up (capabilities by name,
// with the reason for each) and which syscalls its seccomp filter allows, group by group.

import ArgumentParser
import RuntimeWatchCore
import RuntimeWatchSystem

extension RuntimeWatch {
    struct HardeningCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hardening",
            abstract: "Print the capabilities `run` keeps and the syscalls its seccomp filter allows.")

        @Flag(name: .customLong("no-connect-watch"), help: "As for `run --no-connect-watch` (CAP_AUDIT_CONTROL is then dropped too).")
        var noConnectWatch = false

        // The profile's `responses:` decide whether CAP_KILL is kept, as for `run --profile`.
        @OptionGroup var rules: ProfileOptions

        func run() throws {
            print("capabilities needed at start-up (the DaemonSet's capabilities.add, the systemd unit's CapabilityBoundingSet):")
            for capability in StartupCapabilities.required { print("  \(capability.name): \(capability.reason)") }
            let responses: ResponseSettings
            do { responses = try rules.loadProfile().responses } catch { throw CLIError("profile refused: \(error)") }
            let kept = SteadyStateCapabilities.kept(connectCapture: !noConnectWatch, killResponse: responses.configuresKill)
            print("capabilities kept after start-up (effective = permitted = bounding; inheritable and ambient empty):")
            for capability in kept { print("  \(capability.name): \(capability.reason)") }
            let keep = SteadyStateCapabilities.set(connectCapture: !noConnectWatch, killResponse: responses.configuresKill)
            if let all = try? Capabilities.all() {
                let dropped = CapabilitySet(mask: all.mask & ~keep.mask)
                print("capabilities dropped (\(dropped.numbers.count)): \(dropped)")
            }
            print(responses.rules.isEmpty ? "responses: none configured (CAP_KILL dropped)"
                  : "responses: " + responses.rules.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.action.rawValue)\($0.value.dryRun ? " (dry run)" : "")" }.joined(separator: ", "))
            print("  freeze writes cgroup.freeze (cgroup v2) or freezer.state (v1) under /sys/fs/cgroup: no capability, the files are root's own; needs /sys/fs/cgroup mounted read-write (the DaemonSet's hostPath)")
            print("  kill sends SIGKILL: keeps CAP_KILL and allows the kill syscall only when a `respond: kill` is configured at start (add KILL to the DaemonSet's capabilities.add then)")
            print("no_new_privs: set")
            let groups = SeccompPolicy.groups(killResponse: responses.configuresKill)
            print("seccomp: \(SeccompPolicy.allowed(killResponse: responses.configuresKill).count) syscalls allowed; any other is refused with EPERM and reported (--seccomp-action errno) or kills the monitor (--seccomp-action kill)")
            for group in groups {
                print("  \(group.name) — \(group.reason)")
                print("    " + group.syscalls.joined(separator: " "))
            }
        }
    }
}
