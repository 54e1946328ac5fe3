// SPDX-License-Identifier: Apache-2.0
// `run`'s response executor: an AlertSink in front of the outputs. Each alert goes out first; then,
// when its rule has a `respond:` in the profile, the Core's ResponsePlan is carried out (freeze the
// container's cgroup, SIGKILL the process), or only logged in dry run, or refused; the outcome is a
// `response-taken` alert and `runtime_watch_responses_total{action,result}`. Only `run` builds one:
// replay and record never act.

import Logging
import Metrics
import RuntimeWatchCapture
import RuntimeWatchCore
import RuntimeWatchSystem
import Synchronization

final class ResponseExecutor: AlertSink {
    static let metric = "runtime_watch_responses_total"

    private let next: any AlertSink
    private let settings: Mutex<ResponseSettings>
    private let monitor: MonitorIdentity
    private let hierarchy: FreezerHierarchy?
    private let logger: Logger

    init(next: any AlertSink, settings: ResponseSettings, monitor: MonitorIdentity, logger: Logger) {
        self.next = next; self.settings = Mutex(settings); self.monitor = monitor; self.logger = logger
        hierarchy = FreezerHierarchy.detect()
    }

    /// SIGHUP: the reloaded profile's responses apply to the alerts that follow.
    func replaceSettings(_ settings: ResponseSettings) { self.settings.withLock { $0 = settings } }

    func emit(_ alert: Alert) {
        next.emit(alert)
        let current = settings.withLock { $0 }
        guard alert.ruleID != Rule.responseTaken.id,
              let plan = ResponsePlan.make(for: alert, settings: current, monitor: monitor) else { return }
        let outcome = perform(plan)
        let now = HostIdentity.nowNanoseconds()
        let latency = Double(Int64(clamping: now) - Int64(clamping: alert.timestamp)) / 1e6
        logger.notice("response to \(alert.ruleID): \(plan.summary)\(plan.dryRun ? " (dry run)" : ""): \(outcome.result) (\(latency) ms after the event)")
        Counter(label: Self.metric, dimensions: [("action", plan.action.rawValue), ("result", outcome.result)]).increment()
        next.emit(ResponseAlertBuilder.alert(plan: plan, outcome: outcome, trigger: alert, now: now))
    }

    func flush() async { await next.flush() }
    var writeFailures: UInt64 { next.writeFailures }
    var firstWriteError: String? { next.firstWriteError }

    private func perform(_ plan: ResponsePlan) -> ResponseOutcome {
        if let refusal = plan.refusal { return .refused(refusal) }
        if plan.dryRun { return .dryRun }
        switch plan.action {
        case .freeze:
            guard let hierarchy else { return .failed(error: "no cgroup v2 tree or v1 freezer under /sys/fs/cgroup") }
            guard let id = plan.containerID, let cgroup = ContainerCgroupFinder.find(id: id, under: hierarchy.root) else {
                return .failed(error: "no cgroup found for container \(plan.containerID ?? "<NA>") under \(hierarchy.root)")
            }
            switch hierarchy.setFrozen(true, cgroup: cgroup) {
            case .success(let file): return .done(detail: "wrote \(file)")
            case .failure(let error): return .failed(error: "\(error)")
            }
        case .kill:
            guard let pid = plan.pid else { return .refused(.noProcess) }
            // The pid may have exited and been reused since the event: kill only a process that
            // is still in the alert's container.
            let now = ContainerCgroupFinder.containerID(procCgroup: "/proc/\(pid)/cgroup")
            guard let now, now.short == plan.containerID else {
                return .failed(error: "pid \(pid) is no longer in container \(plan.containerID ?? "<NA>") (exited or reused)")
            }
            switch ProcessKill.kill(pid: pid) {
            case .success: return .done(detail: "sent SIGKILL to pid \(pid)")
            case .failure(let error): return .failed(error: "\(error)")
            }
        }
    }
}
