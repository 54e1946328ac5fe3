// SPDX-License-Identifier: Apache-2.0
// `runtime-watch` / `runtime-watch run`: the live monitor. Capture → state → detectors → alerts,
// with /healthz and /metrics on --listen, SIGHUP to reload profiles and reopen --output.

import ArgumentParser
import Foundation
import Logging
import Metrics
import RuntimeWatchCore
import RuntimeWatchCapture
import RuntimeWatchService
import RuntimeWatchSystem

extension RuntimeWatch {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Monitor this host live (the default command). Needs root.",
            discussion: "SIGHUP reloads the --profile files (a profile that does not parse is refused and the running one stays) and reopens --output. SIGINT/SIGTERM stop after flushing alerts.")

        @OptionGroup var detection: DetectionOptions
        @OptionGroup var capture: CaptureOptions
        @OptionGroup var audit: AuditLogOptions
        @OptionGroup var hardening: HardeningOptions
        @OptionGroup var listenerBounds: ListenerOptions

        @Option(name: .long, help: ArgumentHelp("Address for /healthz and /metrics (host:port, [v6]:port, :port), or 'off'.", valueName: "ADDR"))
        var listen: String = "127.0.0.1:8765"

        @Option(name: .long, help: ArgumentHelp("Also record every event to FILE as a trace (replayable with `replay`).", valueName: "FILE"))
        var record: String?

        @Option(name: .long, help: ArgumentHelp("Stop after this many seconds (default: run until SIGINT/SIGTERM).", valueName: "SECONDS"))
        var duration: Double?

        @Option(name: .long, help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
        var logLevel: Logger.Level = .info

        func validate() throws {
            if let missing = LivePrerequisites.check() { throw ValidationError(missing) }
            if listen != "off" {
                do { _ = try ListenAddress(parsing: listen) } catch { throw ValidationError("--listen \(listen): \(error)") }
            }
            if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        }

        /// fanotify denies a watched open when the monitor has no descriptor left for it, so the soft
        /// limit (often 1024) goes up to the hard limit before any source opens.
        private func raiseOpenFileLimit(logger: Logger) {
            do {
                let limit = try DescriptorLimit.raiseSoftToHard()
                if limit.raised { logger.info("open-file limit raised from \(limit.softBefore) to \(limit.soft)") }
                if limit.soft < 4096 {
                    logger.warning("open-file limit is \(limit.soft) (hard limit \(limit.hard)): when the monitor runs out of descriptors, fanotify denies the watched opens; raise the hard limit to at least 4096 (LimitNOFILE= in systemd, ulimit -Hn)")
                }
            } catch {
                logger.warning("cannot raise the open-file limit: \(error)")
            }
        }

        func run() async throws {
            let logger = makeLogger(label: "runtime-watch", level: logLevel)
            raiseOpenFileLimit(logger: logger)
            let metrics = MetricsBootstrap.bootstrapGlobalOnce()
            let health = HealthState()
            let profile: Profile
            do { profile = try detection.loadProfile() } catch { throw CLIError("profile refused: \(error)") }
            for warning in profile.warnings { logger.warning("profile: \(warning)") }
            let stack = try SinkStack(options: detection, metricsFactory: nil, logger: logger)
            let hostname = HostIdentity.hostname()
            // DNS to the node's own resolvers is expected from every container (and recorded for replay).
            let nodeResolvers = ResolvConf.node()

            var sourceOptions = capture.sourceOptions
            sourceOptions.auditLogs = audit.auditLogs
            let live = LiveCapture(options: sourceOptions, logger: logger)

            var listener: ServiceListener?
            if listen != "off" {
                // POST /k8s-audit: the route hands each body to capture, which queues its events.
                let input = live.auditInput(metrics: K8sAuditIngestMetrics(source: "webhook"))
                let auditRoute = K8sAuditRoute.registration(maxBodyBytes: listenerBounds.listenMaxBodyBytes) {
                    input.ingest(body: $0)
                }
                let l = try ServiceListener(address: try ListenAddress(parsing: listen), health: health, metrics: metrics,
                                            routes: [auditRoute], limits: listenerBounds.limits, logger: logger)
                _ = try await l.start()
                listener = l
                logger.info("serving /healthz, /metrics and POST /k8s-audit on \(listen)")
            }

            let recorder = try record.map { path in
                do {
                    return try TraceWriter(path: path, header: TraceHeader(hostname: hostname, kernel: HostIdentity.kernelRelease(),
                                                                           start: HostIdentity.nowNanoseconds(), resolvers: nodeResolvers))
                } catch { throw CLIError("--record \(path): \(error)") }
            }
            do {
                try live.start(register: { health.register(source: $0) }, ready: { health.markReady(source: $0) })
            } catch { throw CLIError("cannot start capture: \(error)") }

            var engineConfiguration = EngineConfiguration(hostname: hostname, disabledRules: try detection.disabledRuleIDs())
            engineConfiguration.nodeResolvers = nodeResolvers
            // Responses act after each alert is written; the monitor's own pid and container are never targets.
            let responder = ResponseExecutor(next: stack.sink, settings: profile.responses,
                                             monitor: MonitorIdentity(pid: getpid(), containerID: ContainerCgroupFinder.containerID()?.rawValue),
                                             logger: logger)
            let engine = Engine(configuration: engineConfiguration, detectors: BuiltinDetectors.make(auditBaseline: detection.rules.loadAuditBaseline()),
                                profile: profile, sink: responder)
            LiveControl.deliverSignals(to: live)
            LiveControl.stop(live, after: duration)
            // A heartbeat each second: it flushes the --record trace (so it can be followed while
            // monitoring) and lets the engine write alerts it holds when no event comes.
            LiveControl.tick(live, every: .seconds(1))
            // Every source is open and the listener bound: drop what the steady state does not need.
            let refusals: HardeningStartup.RefusalReporter?
            do {
                refusals = try HardeningStartup.apply(hardening, connectCapture: live.connects != nil,
                                                      killResponse: profile.responses.configuresKill, hostname: hostname,
                                           sink: stack.sink, logger: logger)
            } catch {
                live.stop()   // removes the connect audit rule before exiting
                while await live.next() != nil {}
                try? await stack.close()
                throw error
            }
            health.setPipelineRunning(true)
            logger.info("monitoring \(hostname): \(engine.profile.allow.count) allow entries, rules off: \(engine.disabledRules.sorted())")

            var loop = DriveLoop(engine: engine, recorder: recorder)
            loop.onReload = { engine in reload(&engine, stack: stack, responder: responder, logger: logger) }
            // Each heartbeat: what the sources met that did not decode or needed a fallback.
            let anomalyMetrics = CaptureAnomalyMetrics(factory: MetricsSystem.factory)
            anomalyMetrics.publish(live.anomalies)
            loop.onTick = { _ in anomalyMetrics.publish(live.anomalies) }
            var failure: (any Error)?
            do { try await loop.run(live) } catch {
                failure = error
                logger.error("\(error)")
                while await live.next() != nil {}   // the source was stopped: let its threads end
            }
            health.setPipelineRunning(false)
            anomalyMetrics.publish(live.anomalies)
            refusals?.report()   // refusals made while stopping (after the last poll)
            var closeFailure: (any Error)?
            do { try recorder?.close() } catch { closeFailure = CLIError("--record: \(error)") }
            do { try await stack.close() } catch { closeFailure = closeFailure ?? error }
            await listener?.stop()
            let stats = loop.engine?.stats ?? EngineStats()
            let losses = live.health.losses
            let lost = losses.isEmpty ? "none lost" : "lost " + losses.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            logger.info("stopped: \(loop.progress.events) events, \(lost), \(stats.alertsEmitted) alerts")
            if let failure { throw CLIError("\(failure)") }
            if let closeFailure { throw closeFailure }
        }

        /// SIGHUP: reopen the output file, re-read the profiles; a broken profile keeps the old one.
        private func reload(_ engine: inout Engine?, stack: SinkStack, responder: ResponseExecutor, logger: Logger) {
            if let file = stack.file {
                do { try file.reopen() } catch { logger.error("reopen \(file.path): \(error)") }
            }
            do {
                let profile = try detection.loadProfile()
                engine?.replaceProfile(profile)
                responder.replaceSettings(profile.responses)
                logger.notice("profile reloaded: \(profile.allow.count) allow entries")
            } catch {
                engine?.recordProfileReloadFailure()
                logger.error("profile reload refused, keeping the running profile: \(error)")
            }
        }
    }
}

func makeLogger(label: String, level: Logger.Level) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = level
    return logger
}

// `--log-level debug`: parsed (and refused when misspelt) by the argument parser itself.
extension Logger.Level: @retroactive ExpressibleByArgument {}
