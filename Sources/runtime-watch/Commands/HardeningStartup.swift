// SPDX-License-Identifier: Apache-2.0
// `run`'s self-hardening step, applied once every source is open and the listener is bound: keep the
// steady-state capabilities, set no_new_privs, load the seccomp allowlist, and report every syscall
// the filter refuses (log line, metric, `internal-syscall-refused` alert) instead of failing silently.

import Foundation
import Logging
import Metrics
import RuntimeWatchCore
import RuntimeWatchCapture
import RuntimeWatchSystem
import Synchronization

enum HardeningStartup {
    /// How often the SIGSYS handler's counters are turned into reports.
    static let pollInterval: Duration = .milliseconds(250)

    /// Hardens the process (unless `--no-harden`) and starts the refusal reporter.
    /// - Returns: the reporter (call `report()` once more at shutdown), nil when nothing is filtered
    ///   or refusals kill the process.
    /// - Throws: `CLIError` when hardening fails: a monitor that meant to harden and could not
    ///   must not run half-privileged without saying so.
    @discardableResult
    static func apply(_ options: HardeningOptions, connectCapture: Bool, killResponse: Bool, hostname: String,
                      sink: any AlertSink, logger: Logger) throws -> RefusalReporter? {
        defer { startTestTriggerIfRequested(logger: logger) }
        if options.noHarden {
            logger.warning("hardening off (--no-harden): all capabilities kept, no seccomp filter")
            return nil
        }
        let plan = HardeningPlan(keep: SteadyStateCapabilities.set(connectCapture: connectCapture, killResponse: killResponse),
                                 syscalls: SeccompPolicy.allowed(killResponse: killResponse), refusal: options.seccompAction)
        let report: HardeningReport
        do { report = try Hardening.apply(plan) } catch { throw CLIError("hardening failed (use --no-harden to run without it): \(error)") }
        logger.info("hardened: kept \(report.kept.names.joined(separator: ",")) on \(report.threads) threads, dropped \(report.dropped.numbers.count) capabilities, no_new_privs set, seccomp allows \(report.allowedSyscalls) syscalls, others: \(report.refusal == .errno ? "EPERM and reported" : "kill")")
        guard report.refusal == .errno else { return nil }
        let reporter = RefusalReporter(hostname: hostname, sink: sink, logger: logger)
        Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: pollInterval)
                reporter.report()
            }
        }
        return reporter
    }

    /// Turns the SIGSYS handler's counters into a log line, a metric and an alert per refused syscall.
    final class RefusalReporter: Sendable {
        private let counter = Mutex(SeccompRefusalCounter())
        private let hostname: String
        private let sink: any AlertSink
        private let logger: Logger

        init(hostname: String, sink: any AlertSink, logger: Logger) {
            self.hostname = hostname; self.sink = sink; self.logger = logger
        }

        /// Reports the syscalls refused since the previous call.
        func report() {
            for refusal in counter.withLock({ $0.poll() }) {
                logger.error("seccomp refused syscall \(refusal.name) (\(refusal.number)) \(refusal.count) time(s); the caller got EPERM")
                Counter(label: "runtime_watch_seccomp_refusals_total", dimensions: [("syscall", refusal.name)])
                    .increment(by: Int64(clamping: refusal.count))
                sink.emit(HardeningStartup.alert(for: refusal, hostname: hostname))
            }
        }
    }

    /// The `internal-syscall-refused` alert for one poll's refusals of one syscall.
    static func alert(for refusal: SyscallRefusal, hostname: String) -> Alert {
        let rule = Rule.internalSyscallRefused
        let now = HostIdentity.nowNanoseconds()
        let fields: AlertFields = [
            "evt.time": .int(Int64(clamping: now)),
            "evt.type": .string("seccomp"),
            "syscall.type": .string(refusal.name),
            "rw.syscall.number": .int(Int64(refusal.number)),
            "rw.refused_count": .int(Int64(clamping: refusal.count)),
            "proc.pid": .int(Int64(getpid())),
            "proc.name": .string("runtime-watch"),
        ]
        return Alert(timestamp: now, ruleID: rule.id, ruleName: rule.name, priority: rule.priority, source: rule.source,
                     hostname: hostname,
                     output: "runtime-watch's seccomp filter refused syscall \(refusal.name) (\(refusal.count) time(s); the caller got EPERM) (proc.pid=\(getpid()))",
                     tags: rule.tags, fields: fields, advice: rule.advice)
    }

    /// TEST ONLY: with RW_TEST_FORBIDDEN_SYSCALL=<milliseconds> in the environment, calls a syscall
    /// outside the allowlist (`unshare(0)`, a no-op when allowed) once, that long after hardening,
    /// and logs the outcome. Exists so the live tests can prove a refusal is reported; never set it
    /// in production (it is harmless, but it raises an internal alert).
    private static func startTestTriggerIfRequested(logger: Logger) {
        guard let value = ProcessInfo.processInfo.environment["RW_TEST_FORBIDDEN_SYSCALL"] else { return }
        guard let milliseconds = Int(value), milliseconds >= 0 else {
            logger.warning("RW_TEST_FORBIDDEN_SYSCALL=\(value) ignored: expected milliseconds")
            return
        }
        Task.detached {
            try? await Task.sleep(for: .milliseconds(milliseconds))
            let outcome = Seccomp.callForbiddenSyscallForTesting()
            logger.notice("test trigger (RW_TEST_FORBIDDEN_SYSCALL): unshare(0) \(outcome.map { "failed: \($0) (errno \($0.rawValue))" } ?? "succeeded")")
        }
    }
}
