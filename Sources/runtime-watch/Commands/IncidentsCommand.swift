// SPDX-License-Identifier: Apache-2.0
// `runtime-watch incidents FILE`: the incidents of a recording, one readable block per incident with
// its timeline in order. FILE is a trace (replayed through the same engine as `replay`, with no
// output and no actions) or an alert file written by `--output` in JSON (read back as the live run
// grouped it).

import ArgumentParser
import Foundation
import RuntimeWatchCore

extension RuntimeWatch {
    struct IncidentsCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "incidents",
            abstract: "Print the incidents of a trace or of a JSON alert file, one block per incident with its timeline.",
            discussion: "A trace (its first line is the runtime-watch-trace header) is replayed with the profile and --disable given, exactly as `replay` would, and nothing is written or done. Any other file is read as JSON alert lines (`--output` of run or replay with --format json); malformed lines are reported on stderr with their number and skipped. Each block's score, band and chain are the incident's final state, scored with the profile given (give the live run's profile to get its scores).")

        @Argument(help: ArgumentHelp("Trace file (from `record`) or JSON alert file (from `--output`).", valueName: "FILE"))
        var file: String

        @OptionGroup var rules: ProfileOptions

        func validate() throws {
            if !FileManager.default.fileExists(atPath: file) { throw ValidationError("\(file): no such file") }
        }

        func run() async throws {
            let profile: Profile
            do { profile = try rules.loadProfile() } catch { throw CLIError(error.description) }
            let alerts = try Self.isTrace(file) ? try await replay(profile: profile) : try readAlerts()
            print(IncidentReport(alerts: alerts, profile: profile).text(), terminator: "")
        }

        /// True when the file's first line is a trace header (`"format":"runtime-watch-trace"`) or,
        /// in a trace without one, an event (`ts` and `type`); alert lines have neither.
        static func isTrace(_ path: String) throws -> Bool {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw CLIError("\(path): cannot open") }
            defer { try? handle.close() }
            let start = (try handle.read(upToCount: 4096)) ?? Data()
            let firstLine = start.split(separator: UInt8(ascii: "\n"), maxSplits: 1).first ?? Data()
            struct Probe: Decodable { var format: String?; var ts: UInt64?; var type: String? }
            guard let probe = try? JSONDecoder().decode(Probe.self, from: firstLine) else { return false }
            return probe.format == TraceHeader.formatName || (probe.ts != nil && probe.type != nil)
        }

        private func replay(profile: Profile) async throws -> [Alert] {
            let report: (TraceError) -> Void = { issue in
                FileHandle.standardError.write(Data("runtime-watch: \(file): \(issue)\n".utf8))
            }
            let reader: TraceReader
            let header: TraceHeader?
            do {
                reader = try TraceReader(path: file, onIssue: report)
                header = try reader.readHeader()
            } catch { throw CLIError("\(file): \(error)") }
            let sink = InMemoryAlertSink()
            var loop = DriveLoop(engine: Replay.engine(hostname: header?.hostname ?? "", nodeResolvers: header?.resolvers ?? [],
                                                       disabledRules: try rules.disabledRuleIDs(), profile: profile,
                                                       auditBaseline: rules.loadAuditBaseline(), sink: sink))
            do { try await loop.run(TraceSource(reader: reader)) } catch { throw CLIError("\(file): \(error)") }
            return sink.alerts
        }

        private func readAlerts() throws -> [Alert] {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch { throw CLIError("\(file): \(error.localizedDescription)") }
            var alerts: [Alert] = []
            let decoder = JSONDecoder()
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
                do { alerts.append(try decoder.decode(Alert.self, from: Data(line.utf8))) } catch {
                    FileHandle.standardError.write(Data("runtime-watch: \(file):\(index + 1): not a JSON alert: \(error)\n".utf8))
                }
            }
            return alerts
        }
    }
}
