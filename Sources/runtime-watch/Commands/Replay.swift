// SPDX-License-Identifier: Apache-2.0
// `runtime-watch replay TRACE`: the same state, detectors and outputs as live mode, over a recorded
// trace. Deterministic and unprivileged: how detections are developed, reviewed and regression-tested.

import ArgumentParser
import Foundation
import Logging
import Metrics
import RuntimeWatchCore

extension RuntimeWatch {
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the detectors over a recorded trace (JSON lines from `record`; - for stdin).",
            discussion: "Malformed lines are reported on stderr with their line number, counted and skipped; the rest replays. Exit status 0 when the trace was read to the end (even with alerts), 1 when it could not be read.")

        @Argument(help: ArgumentHelp("Trace file written by `runtime-watch record`, or - for stdin.", valueName: "TRACE"))
        var trace: String

        @OptionGroup var detection: DetectionOptions

        @Option(name: .long, help: "Host name to put in alerts (default: the one in the trace header).")
        var hostname: String?

        @Flag(name: .long, help: "Print event, alert and malformed-line counts to stderr at the end.")
        var summary = false

        @Flag(name: .long, help: "Only read and decode the trace (no state, detectors or output): measures the reader. With --summary, prints the count.")
        var decodeOnly = false

        @Flag(name: .long, help: ArgumentHelp("Decode every line with Foundation's JSONDecoder instead of the byte-level decoder (for comparison).", visibility: .hidden))
        var codableDecoder = false

        func validate() throws {
            if trace != "-" && !FileManager.default.fileExists(atPath: trace) {
                throw ValidationError("\(trace): no such file")
            }
        }

        func run() async throws {
            let logger = Logger(label: "runtime-watch.replay")
            let profile: Profile
            do { profile = try detection.loadProfile() } catch { throw CLIError(error.description) }
            let stack = try SinkStack(options: detection, metricsFactory: NOOPMetricsHandler.instance, logger: logger)
            let name = trace == "-" ? "<stdin>" : trace
            // A malformed line is reported with its number and reason, counted, and skipped.
            let report: (TraceError) -> Void = { issue in
                FileHandle.standardError.write(Data("runtime-watch: \(name): \(issue)\n".utf8))
            }
            let reader: TraceReader
            do {
                reader = trace == "-"
                    ? TraceReader(fileHandle: .standardInput, name: name, onIssue: report)
                    : try TraceReader(path: trace, onIssue: report)
            } catch { throw CLIError("\(name): \(error)") }
            reader.usesFastDecoder = !codableDecoder
            if decodeOnly {
                let records: Int
                do { records = try Self.decodeAll(reader) } catch { throw CLIError("\(name): \(error)") }
                if summary {
                    FileHandle.standardError.write(Data("runtime-watch: decoded \(records) events, \(reader.counts.malformed) malformed lines skipped, \(reader.counts.fallbackDecodes) lines through the JSONDecoder fallback\n".utf8))
                }
                return
            }
            var engine: Engine
            do {
                let header = try reader.readHeader()
                let host = hostname ?? header?.hostname ?? HostIdentity.hostname()
                engine = Engine(configuration: EngineConfiguration(hostname: host, disabledRules: try detection.disabledRuleIDs()),
                                detectors: BuiltinDetectors.make(), profile: profile, sink: stack.sink,
                                metrics: NOOPMetricsHandler.instance)
                while let record = try reader.next() { engine.process(record) }
            } catch let error as TraceError {
                throw CLIError("\(name): \(error)")
            }
            engine.finish()
            await stack.close()
            if summary {
                let s = engine.stats
                let events = s.eventsByKind.values.reduce(0, +)
                FileHandle.standardError.write(Data("runtime-watch: replayed \(events) events, \(reader.counts.malformed) malformed lines skipped, \(s.alertsEmitted) alerts\n".utf8))
            }
        }

        /// Reads the whole trace without processing it. - Returns: the number of records.
        static func decodeAll(_ reader: TraceReader) throws(TraceError) -> Int {
            try reader.readHeader()
            var records = 0
            while try reader.next() != nil { records += 1 }
            return records
        }
    }
}
