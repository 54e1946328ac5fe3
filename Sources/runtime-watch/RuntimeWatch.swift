// SPDX-License-Identifier: Apache-2.0
// The command line. One root type, one file per subcommand under Commands/ (swift-argument-parser's
// Math example). `runtime-watch` alone runs the live monitor.

import ArgumentParser

@main
struct RuntimeWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime-watch",
        abstract: "Container runtime security monitor: flags service-account token reads, reverse shells and unexpected outbound connections.",
        discussion: """
            Live mode needs root (CAP_NET_ADMIN for the proc connector, CAP_SYS_ADMIN for fanotify, read access to /proc).
            Alerts are JSON lines in Falco's format on stdout unless --format text or --output is given.
            """,
        version: RuntimeWatchVersion.string,
        subcommands: [Run.self, Record.self, Replay.self, IncidentsCommand.self, Learn.self, Rules.self, ProfileCommand.self, HardeningCommand.self, Thaw.self],
        defaultSubcommand: Run.self
    )
}

enum RuntimeWatchVersion {
    static let string = "0.1.0"
}
