// SPDX-License-Identifier: Apache-2.0
// `runtime-watch learn`: observe workloads for a while (live, or over a recorded trace) and write
// what they did as a profile to review and use: per workload the destinations it connected to and
// the token reads and shells the rules flagged.

import ArgumentParser
import Foundation
import Logging
import Metrics
import RuntimeWatchCore
import RuntimeWatchCapture

extension RuntimeWatch {
    struct Learn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Learn a profile from what workloads do (live for --duration, or from a trace with --from).",
            discussion: "The profile is written when learning ends (also on SIGINT/SIGTERM). Review it, then use it with --profile: the learned workloads are then judged strictly, so a destination they did not use while learning alerts.")

        @Option(name: .long, help: ArgumentHelp("How long to observe live: 90s, 10m, 1h (or plain seconds).", valueName: "DURATION"))
        var duration: String = "10m"

        @Option(name: .shortAndLong, help: ArgumentHelp("Profile file to write (- for stdout).", valueName: "FILE"))
        var output: String?

        @Option(name: .long, help: ArgumentHelp("API-server audit log (JSON lines) to learn the --audit-baseline from; repeatable.", valueName: "FILE"))
        var auditLog: [String] = []

        @Option(name: .long, help: ArgumentHelp("Write what the --audit-log identities did (combinations and hourly rates) to FILE, for run/replay --audit-baseline.", valueName: "FILE"))
        var auditBaseline: String?

        @Option(name: .long, help: ArgumentHelp("Learn from a recorded trace instead of live events.", valueName: "TRACE"))
        var from: String?

        @Option(name: .long, help: ArgumentHelp("Profiles in force while learning (what they allow is not learned again).", valueName: "FILE"))
        var profile: [String] = []

        @OptionGroup var capture: CaptureOptions

        func validate() throws {
            if !auditLog.isEmpty || auditBaseline != nil {
                guard !auditLog.isEmpty, auditBaseline != nil else { throw ValidationError("--audit-log and --audit-baseline go together") }
                guard output == nil, from == nil else { throw ValidationError("learn an audit baseline (--audit-log) or a profile (-o), not both at once") }
                return
            }
            guard output != nil else { throw ValidationError("give -o FILE (a profile) or --audit-log with --audit-baseline") }
            guard Self.seconds(duration) != nil else { throw ValidationError("--duration \(duration): expected e.g. 90s, 10m, 1h") }
            if from == nil, let missing = LivePrerequisites.check() { throw ValidationError(missing) }
        }

        /// "90", "90s", "10m", "1h" → seconds.
        static func seconds(_ text: String) -> Double? {
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
            if let unit = text.last, let factor = units[unit], let n = Double(text.dropLast()), n > 0 { return n * factor }
            if let n = Double(text), n > 0 { return n }
            return nil
        }

        func run() async throws {
            let logger = makeLogger(label: "runtime-watch.learn", level: .info)
            if let auditBaseline { return try learnAuditBaseline(to: auditBaseline, logger: logger) }
            let output = output!
            let loaded: Profile
            do { loaded = try ProfileLoader(resolver: SystemHostResolver.resolve).load(files: profile) } catch { throw CLIError("profile refused: \(error)") }
            let alerts = InMemoryAlertSink()
            let engine = Engine(configuration: EngineConfiguration(hostname: HostIdentity.hostname(), foldWindowNanoseconds: 0),
                                detectors: BuiltinDetectors.make(), profile: loaded, sink: alerts, metrics: NOOPMetricsHandler.instance)
            var learner = ProfileLearner()
            var loop = DriveLoop(engine: engine)
            loop.observe = { record, engine in
                guard let engine else { return }
                learner.observe(record, state: engine.state)
                if !alerts.alerts.isEmpty {
                    for a in alerts.alerts { learner.observe(a) }
                    alerts.removeAll()
                }
            }
            let source: String
            if let from {
                source = "trace \(from)"
                do {
                    let reader = try TraceReader(path: from, onIssue: { logger.warning("\(from): \($0)") })
                    try await loop.run(TraceSource(reader: reader))
                } catch { throw CLIError("\(from): \(error)") }
            } else {
                let seconds = Self.seconds(duration)!
                source = "\(duration) of live events on \(HostIdentity.hostname())"
                let live = LiveCapture(options: capture.sourceOptions, logger: logger)
                do { try live.start() } catch { throw CLIError("cannot start capture: \(error)") }
                logger.info("learning for \(duration): capture is running")
                LiveControl.deliverSignals(to: live, hangupStops: true)
                LiveControl.stop(live, after: seconds)
                LiveControl.tick(live, every: .seconds(5))
                let started = Date()
                loop.onTick = { progress in
                    let elapsed = Int(Date().timeIntervalSince(started))
                    logger.info("learning: \(elapsed)s of \(Int(seconds))s, \(progress.events) events, \(learner.connectionsSeen) connections, \(learner.entryCount) entries")
                }
                try await loop.run(live)
            }
            for a in alerts.alerts { learner.observe(a) }
            let text = learner.yaml(header: "Learned by runtime-watch \(RuntimeWatchVersion.string) from \(source).\nReview every entry before use: it allows what the workload did while learning.")
            do {
                if output == "-" { print(text, terminator: "") } else { try text.write(toFile: output, atomically: true, encoding: .utf8) }
            } catch { throw CLIError("\(output): \(error)") }
            logger.info("wrote \(learner.entryCount) allow entries (\(learner.connectionsSeen) connections, \(learner.alertsSeen) alerts learned) to \(output)")
        }
    }
}
