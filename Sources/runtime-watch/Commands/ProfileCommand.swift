// SPDX-License-Identifier: Apache-2.0
// `runtime-watch profile check FILE…`: validate profiles the way `run` loads them, and say where
// (file:line:column) and why a profile is refused.

import ArgumentParser
import RuntimeWatchCore
import RuntimeWatchCapture

extension RuntimeWatch {
    struct ProfileCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "profile", abstract: "Work with profiles.", subcommands: [Check.self, Show.self])

        struct Check: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Validate profile files (exit 1 and file:line:column: reason on the first error).")

            @Argument(help: "Profile files, in the order `--profile` would layer them.")
            var files: [String]

            func run() throws {
                let loader = ProfileLoader(resolver: SystemHostResolver.resolve)
                do {
                    let profile = try loader.load(files: files, includeEmbeddedDefault: false)
                    for w in profile.warnings { print("warning: \(w)") }
                    print("ok: \(files.joined(separator: ", ")): \(profile.allow.count) allow entries, \(profile.disabledRules.count) disabled rules")
                } catch {
                    throw CLIError(error.description)
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the embedded default profile.")
            func run() { print(DefaultProfile.yaml, terminator: "") }
        }
    }
}
