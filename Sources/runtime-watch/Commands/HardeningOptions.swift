// SPDX-License-Identifier: Apache-2.0
// `run`'s self-hardening options: on by default, `--no-harden` for debugging, and what a refused
// syscall does.

import ArgumentParser
import RuntimeWatchSystem

extension SeccompRefusal: ExpressibleByArgument {}

struct HardeningOptions: ParsableArguments {
    @Flag(name: .customLong("no-harden"), help: "Do not drop capabilities or install the seccomp filter after start-up (debugging only).")
    var noHarden = false

    @Option(name: .long, help: ArgumentHelp("What a syscall outside the seccomp allowlist does: errno (refused with EPERM, logged, counted and alerted) or kill (the kernel kills the monitor).", valueName: "ACTION"))
    var seccompAction: SeccompRefusal = .errno
}
