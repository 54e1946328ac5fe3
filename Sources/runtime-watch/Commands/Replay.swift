// SPDX-License-Identifier: Apache-2.0
// `runtime-watch replay TRACE`: the same state, detectors and outputs as live mode, over a recorded
// trace. Deterministic and unprivileged: how detections are developed, reviewed and regression-tested.

import ArgumentParser
import Foundation
import Logging
import Metrics
import RuntimeWatchCore
import RuntimeWatchCapture

extension RuntimeWatch {
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the detectors over a recorded trace (JSON lines from `record`; - for stdin) and/or Kubernetes audit logs.",
            discussion: "With --audit-log (and no TRACE) the k8s_audit rules run over API-server audit logs alone: `runtime-watch replay --audit-log audit.jsonl`. With both, audit events are merged with the trace by time. Malformed lines are reported on stderr with their line number, counted and skipped; the rest replays. SIGINT/SIGTERM end the replay after the current record and print the summary; SIGHUP reopens --output. Exit status 0 when the input was read to the end or the replay was stopped by a signal (even with alerts), 1 when it could not be read.")

        @Argument(help: ArgumentHelp("Trace file written by `runtime-watch record`, or - for stdin.", valueName: "TRACE"))
        var trace: String?

        @OptionGroup var audit: AuditLogOptions

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
            guard trace != nil || !audit.auditLogs.isEmpty else {
                throw ValidationError("give a TRACE, one or more --audit-log files, or both")
            }
            for path in [trace].compactMap({ $0 }) + audit.auditLogs where path != "-" {
                var isDirectory: ObjCBool = false
                if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) { throw ValidationError("\(path): no such file") }
                if isDirectory.boolValue { throw ValidationError("\(path): is a directory, not a trace or an audit log") }
            }
            if trace == "-" && audit.auditLogs.contains("-") { throw ValidationError("stdin can feed the trace or an audit log, not both") }
        }

        func run() async throws {
            let logger = Logger(label: "runtime-watch.replay")
            let profile: Profile
            do { profile = try detection.loadProfile() } catch { throw CLIError(error.description) }
            let stack = try SinkStack(options: detection, metricsFactory: NOOPMetricsHandler.instance, logger: logger)
            let auditRecords = AuditLogReplay.read(audit.auditLogs)
            var malformed = auditRecords.malformed
            let source: TraceSource
            let host: String
            var nodeResolvers: [String] = []
            if let trace {
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
                let header: TraceHeader?
                do { header = try reader.readHeader() } catch { throw CLIError("\(name): \(error)") }
                host = hostname ?? header?.hostname ?? HostIdentity.hostname()
                nodeResolvers = header?.resolvers ?? []
                source = TraceSource(reader: reader, merging: auditRecords.records)
            } else {
                host = hostname ?? HostIdentity.hostname()
                source = TraceSource(records: auditRecords.records)
            }
            // SIGINT/SIGTERM end the replay after the current record (the summary still prints);
            // SIGHUP reopens --output, as for `run`.
            let signals = SignalStream()
            let file = stack.file
            Task.detached {
                for await signal in signals.signals {
                    if signal == .stop { source.stop(); continue }
                    do { try file?.reopen() } catch { FileHandle.standardError.write(Data("runtime-watch: reopen: \(error)\n".utf8)) }
                }
            }
            var loop = DriveLoop(engine: Self.engine(hostname: host, nodeResolvers: nodeResolvers, disabledRules: try detection.disabledRuleIDs(),
                                                     profile: profile, auditBaseline: detection.rules.loadAuditBaseline(), sink: stack.sink))
            do { try await loop.run(source) } catch { throw CLIError("\(trace ?? "-"): \(error)") }
            if source.wasStopped { FileHandle.standardError.write(Data("runtime-watch: replay stopped by signal after \(loop.progress.events) events\n".utf8)) }
            malformed += source.reader?.counts.malformed ?? 0
            var outputFailure: (any Error)?
            do { try await stack.close() } catch { outputFailure = error }
            if summary || source.wasStopped, let s = loop.engine?.stats {
                let events = s.eventsByKind.values.reduce(0, +)
                let written = s.alertsEmitted >= stack.sink.writeFailures ? s.alertsEmitted - stack.sink.writeFailures : 0
                FileHandle.standardError.write(Data("runtime-watch: replayed \(events) events, \(malformed) malformed lines skipped, \(s.alertsEmitted) alerts, \(written) written, \(s.incidents.opened) incidents\n".utf8))
            }
            if let outputFailure { throw outputFailure }
        }

        /// The replay engine, configured like `run`'s, so replayed alerts (and incidents) match live ones.
        /// `nodeResolvers` are the recording node's (its trace header), not this machine's.
        static func engine(hostname: String, nodeResolvers: [String], disabledRules: Set<String>, profile: Profile,
                           auditBaseline: AuditBaseline?, sink: any AlertSink) -> Engine {
            var configuration = EngineConfiguration(hostname: hostname, disabledRules: disabledRules)
            configuration.nodeResolvers = nodeResolvers
            return Engine(configuration: configuration, detectors: BuiltinDetectors.make(auditBaseline: auditBaseline), profile: profile, sink: sink,
                          metrics: NOOPMetricsHandler.instance)
        }

        /// Reads the whole trace without processing it. - Returns: the number of records.
        static func decodeAll(_ reader: TraceReader) throws(TraceError) -> Int {
            try reader.readHeader()
            var records = 0
            var record = EventRecord.unset
            while try reader.next(into: &record) { records += 1 }
            return records
        }
    }
}
