// SPDX-License-Identifier: Apache-2.0
// Options shared by every command that runs detections (`run`, `replay`): where alerts go, in
// which format, under which profile (ProfileOptions), with which rules switched off.

import ArgumentParser
import Foundation
import RuntimeWatchCore
import RuntimeWatchCapture

enum AlertFormat: String, ExpressibleByArgument, CaseIterable {
    case json, text
}

struct DetectionOptions: ParsableArguments {
    @Option(name: .long, help: "Alert format on stdout or --output: json (Falco-compatible JSON lines) or text.")
    var format: AlertFormat = .json

    @Option(name: .long, help: ArgumentHelp("Append alerts to FILE instead of stdout (reopened on SIGHUP, for logrotate).", valueName: "FILE"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp("Also POST each alert to URL (falcosidekick's root path, e.g. http://falcosidekick:2801/).", valueName: "URL"))
    var webhook: String?

    @Option(name: .long, help: ArgumentHelp("At exit, wait at most this long for the webhook to deliver its queue; what is still queued then is counted as dropped (queued_at_shutdown).", valueName: "SECONDS"))
    var webhookDrainSeconds: Double = 10

    @OptionGroup var rules: ProfileOptions

    func disabledRuleIDs() throws -> Set<String> { try rules.disabledRuleIDs() }

    func loadProfile() throws(ProfileError) -> Profile { try rules.loadProfile() }

    func validate() throws {
        if let webhook, !(webhook.hasPrefix("http://") || webhook.hasPrefix("https://")) {
            throw ValidationError("--webhook \(webhook): expected an http:// or https:// URL")
        }
        guard webhookDrainSeconds.isFinite, (0...3600).contains(webhookDrainSeconds) else {
            throw ValidationError("--webhook-drain-seconds \(webhookDrainSeconds): expected 0 to 3600 seconds")
        }
    }
}

/// Which profile and which rules: shared by the commands that run detections and by `incidents`
/// (which replays a trace but writes no alerts).
struct ProfileOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Profile file; repeat to layer several (later files extend earlier ones, all extend the embedded default).", valueName: "FILE"))
    var profile: [String] = []

    @Flag(name: .long, help: "Do not load the embedded default profile under --profile files.")
    var noDefaultProfile = false

    @Option(name: .long, help: ArgumentHelp("Switch a rule off by id or name; repeatable. See `runtime-watch rules`.", valueName: "RULE"))
    var disable: [String] = []

    @Option(name: .long, help: ArgumentHelp("API-server baseline from `learn --audit-log … --audit-baseline FILE`: requests an identity made before are expected, new ones are marked rw.first_seen, and k8s-abnormal-rate is judged against it.", valueName: "FILE"))
    var auditBaseline: String?

    /// The `--audit-baseline` file, or nil without the option. A file that cannot be read is
    /// reported (path and reason) on stderr and an empty baseline is used: the monitor still starts.
    func loadAuditBaseline() -> AuditBaseline? {
        guard let auditBaseline else { return nil }
        do throws(AuditBaselineError) { return try AuditBaseline.load(path: auditBaseline) } catch {
            FileHandle.standardError.write(Data("runtime-watch: warning: --audit-baseline \(error); starting with an empty baseline\n".utf8))
            return AuditBaseline()
        }
    }

    /// Rule ids for `--disable` values given by id or by human name.
    func disabledRuleIDs() throws -> Set<String> {
        var ids: Set<String> = []
        for key in disable {
            guard let rule = RuleCatalog.builtin.rule(idOrName: key) else {
                let hint = RuleCatalog.builtin.suggestion(for: key).map { " (did you mean \"\($0)\"?)" } ?? ""
                throw ValidationError("--disable \(key): no such rule\(hint); `runtime-watch rules` lists them")
            }
            ids.insert(rule.id)
        }
        return ids
    }

    func validate() throws {
        _ = try disabledRuleIDs()
    }

    /// Loads the profile stack (embedded default, then each --profile file).
    func loadProfile() throws(ProfileError) -> Profile {
        let loader = ProfileLoader(resolver: SystemHostResolver.resolve)
        return try loader.load(files: profile, includeEmbeddedDefault: !noDefaultProfile)
    }
}
