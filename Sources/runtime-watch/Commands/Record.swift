// SPDX-License-Identifier: Apache-2.0
// `runtime-watch record --output trace.jsonl`: capture live events into a trace, exactly the
// EventRecord encoding `replay` reads, so anything seen in the field can become a fixture.

import ArgumentParser
import Foundation
import Logging
import RuntimeWatchCore
import RuntimeWatchCapture

extension RuntimeWatch {
    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record live events to a trace file (JSON lines after a header). Needs root.",
            discussion: "Stops on SIGINT/SIGTERM, after --duration seconds or after --max-events events. Progress goes to stderr every 5 seconds.")

        @Option(name: .shortAndLong, help: ArgumentHelp("Trace file to write, or - for stdout.", valueName: "FILE"))
        var output: String

        @OptionGroup var capture: CaptureOptions

        @Option(name: .long, help: ArgumentHelp("Stop after this many seconds.", valueName: "SECONDS"))
        var duration: Double?

        @Option(name: .long, help: "Stop after this many events.")
        var maxEvents: Int?

        @Flag(name: .long, help: "Do not start with a snapshot of the running processes.")
        var noSnapshot = false

        @Option(name: .long, help: "Log level on stderr.")
        var logLevel: Logger.Level = .info

        func validate() throws {
            if let missing = LivePrerequisites.check() { throw ValidationError(missing) }
            if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
            if let maxEvents, maxEvents <= 0 { throw ValidationError("--max-events must be positive") }
        }

        func run() async throws {
            let logger = makeLogger(label: "runtime-watch.record", level: logLevel)
            let header = TraceHeader(hostname: HostIdentity.hostname(), kernel: HostIdentity.kernelRelease(), start: HostIdentity.nowNanoseconds(),
                                     resolvers: ResolvConf.node())
            let writer: TraceWriter
            do { writer = try TraceWriter(path: output, header: header) } catch { throw CLIError("\(output): \(error)") }

            var options = capture.sourceOptions
            options.snapshotAtStart = !noSnapshot
            let live = LiveCapture(options: options, logger: logger)
            do { try live.start() } catch { throw CLIError("cannot start capture: \(error)") }
            LiveControl.deliverSignals(to: live, hangupStops: true)
            LiveControl.stop(live, after: duration)
            // Heartbeat: the loop flushes the trace each second (so it can be followed while
            // recording) and logs progress every fifth.
            LiveControl.tick(live, every: .seconds(1))

            var loop = DriveLoop(engine: nil, recorder: writer)
            loop.maxEvents = maxEvents.map(UInt64.init)
            loop.onTick = { progress in
                guard progress.ticks % 5 == 0 else { return }
                logger.info("recorded \(progress.events) events; lost \(progress.lost)")
            }
            do { try await loop.run(live) } catch {
                while await live.next() != nil {}   // the source was stopped: let its threads end
                throw CLIError("\(output): \(error)")
            }
            do { try writer.close() } catch { throw CLIError("\(output): \(error)") }
            let losses = live.health.losses
            let lost = losses.isEmpty ? "none" : losses.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            logger.info("done: \(loop.progress.events) events written to \(output); lost \(lost)")
        }
    }
}
