// SPDX-License-Identifier: Apache-2.0
// `runtime-watch rules`: every rule with its id, priority, tags, description and response advice.

import ArgumentParser
import Foundation
import RuntimeWatchCore

extension RuntimeWatch {
    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the detection rules (ids work with --disable and in profiles).")

        @Option(name: .long, help: "text or json.")
        var format: AlertFormat = .text

        func run() throws {
            var catalog = RuleCatalog.builtin
            catalog.register(detectors: BuiltinDetectors.make())
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(catalog.rules), as: UTF8.self))
            case .text:
                for rule in catalog.rules {
                    print("\(rule.id)  [\(rule.priority.rawValue)]  \(rule.name)")
                    print("  source: \(rule.source.rawValue)   tags: \(rule.tags.joined(separator: ", "))")
                    print("  \(rule.description)")
                    print("  advice: \(rule.advice)")
                    print("")
                }
            }
        }
    }
}
