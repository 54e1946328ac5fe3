// SPDX-License-Identifier: Apache-2.0
// Every rule runtime-watch knows, by id and by name. The built-in rules are defined here, once, so
// profiles, `--disable`, `runtime-watch rules` and the detectors all agree on ids before the
// detectors exist; a detector's `rules` returns these same values.

extension Rule {
    /// A workload read the Kubernetes service-account token (T1552.007).
    public static let serviceAccountTokenRead = Rule(
        id: "service-account-token-read", name: "Service account token read", priority: .warning,
        tags: ["T1552.007", "mitre_credential_access", "container", "k8s"],
        description: "A process opened a Kubernetes service-account token file that its profile does not expect it to read. Stolen tokens let an attacker act as the pod's service account against the API server.",
        advice: "Check which process read the token and why (proc.cmdline, proc.ancestry). If unexpected, treat the token as compromised: delete the pod, rotate the service account's tokens and review the account's RBAC permissions and recent API audit events.")

    /// A shell whose input and output are a network socket (T1059.004).
    public static let reverseShell = Rule(
        id: "reverse-shell", name: "Reverse shell", priority: .critical,
        tags: ["T1059.004", "mitre_execution", "TA0011", "mitre_command_and_control", "container"],
        description: "A shell or interpreter runs with its standard input and output connected to a network socket (nc -e, bash -i >& /dev/tcp, socat, python/perl one-liners, mkfifo pipelines).",
        advice: "Isolate the workload now (network policy or delete the pod), capture fd.rip/fd.rport as an indicator, and find how the shell was started from proc.ancestry (web process, cron, exec into the container).")

    /// A shell whose input and output are an accepted (inbound) network connection (T1059.004).
    public static let bindShell = Rule(
        id: "bind-shell", name: "Bind shell", priority: .critical,
        tags: ["T1059.004", "mitre_execution", "container"],
        description: "A shell or interpreter runs with its standard input and output connected to a network connection it accepted (nc -l -e, socat TCP-LISTEN EXEC:, an inetd-style listener running a shell). Critical in containers; on the host it is also how inetd-style services work, so it is a Warning there and can be allowlisted by executable.",
        advice: "Find the listener (proc.ancestry) and who connected (fd.rip/fd.rport). In a container, isolate the workload and remove the listener; on the host, allowlist the service's executable if it is a known inetd-style service.")

    /// A connection to a destination the profile does not expect (TA0011).
    public static let unexpectedOutboundConnection = Rule(
        id: "unexpected-outbound-connection", name: "Unexpected outbound connection", priority: .notice,
        tags: ["TA0011", "mitre_command_and_control", "network", "container"],
        description: "A process connected to an address and port that its profile does not list as an expected destination.",
        advice: "Check whether the destination is a legitimate new dependency (then add it to the profile) or command-and-control/exfiltration (then block egress and investigate the process).")

    /// The Kubernetes API server contacted by a workload after it read its token.
    public static let kubernetesAPIAfterTokenRead = Rule(
        id: "k8s-api-after-token-read", name: "Kubernetes API contacted after token read", priority: .critical,
        tags: ["T1552.007", "T1613", "mitre_credential_access", "mitre_discovery", "k8s", "container"],
        description: "A workload that its profile does not expect to call the API server read its service-account token and then connected to the Kubernetes API server.",
        advice: "Look up the pod's service account in the API-server audit log for the requests made around evt.time, revoke the token, and check for RBAC escalation or secret reads.")

    /// Capture lost events: detections may have been missed (Falco's internal drop alert).
    public static let internalEventDrop = Rule(
        id: "internal-event-drop", name: "runtime-watch internal: event drop", priority: .critical, source: .internal_,
        tags: ["runtime_watch_internal"],
        description: "The monitor lost kernel events (receive buffer overflow or a full queue). Process state may be incomplete and detections may have been missed until it resynchronised.",
        advice: "Check the node's load and runtime_watch_drops_total by cause; raise the receive buffer or queue size, or reduce the event rate. Treat the gap as a blind spot when investigating.")

    /// The monitor's own seccomp filter refused a syscall (self-hardening, `--seccomp-action errno`).
    public static let internalSyscallRefused = Rule(
        id: "internal-syscall-refused", name: "runtime-watch internal: syscall refused", priority: .error, source: .internal_,
        tags: ["runtime_watch_internal"],
        description: "The monitor made a system call outside its seccomp allowlist; the filter refused it with EPERM. Either the allowlist misses a syscall a code path needs (that feature may be failing), or the monitor process is being abused.",
        advice: "Read the syscall name in the alert and the monitor log around evt.time. If a legitimate feature needs it, add it to the SeccompPolicy group that explains why and release; if not, treat the monitor as compromised: restart it and investigate the node.")

    /// Several alerts about one workload, grouped and scored (Incidents/IncidentTracker.swift). Its
    /// priority follows the incident's score band; Warning is only the catalog default.
    public static let incident = Rule(
        id: "incident", name: "Incident", priority: .warning,
        tags: ["incident"],
        description: "Alerts about one workload (a pod, or a container outside pods) within a quiet window, grouped with a risk score: rule priorities, the chain token read → API-server contact → egress → shell in that order, production namespaces and first-seen behaviour. Raised when the incident opens and each time its score enters a higher band; its output is the timeline.",
        advice: "Isolate the workload first (network policy or delete the pod), then read the timeline in order (rw.incident.timeline) and every alert carrying this rw.incident.id; rotate the service-account token and any secret the workload could reach.")

    /// The monitor acted on (or refused to act on, or dry-ran) a workload because a rule with a
    /// `respond:` in the profile alerted (Response/ResponsePlan.swift). Raised by `run` only.
    public static let responseTaken = Rule(
        id: "response-taken", name: "Response taken", priority: .warning, source: .internal_,
        tags: ["runtime_watch_response"],
        description: "A rule configured with `respond: freeze` or `respond: kill` alerted and the monitor froze the container's cgroup or killed the process; or it only said what it would do (dry run), or refused because the target was a host process, the monitor itself, a protected namespace or unknown. The alert says what, where and the result (with errno on failure).",
        advice: "Investigate the frozen workload now (its processes and files are as the attacker left them), then delete the pod or `runtime-watch thaw` the container; rotate the service-account token. On a failure, act by hand: the response did not happen.")

    // MARK: k8s_audit rules (API-server audit events; K8sAuditDetector)

    /// list/watch of secrets across all namespaces (T1552.007).
    public static let k8sSecretsListedAllNamespaces = Rule(
        id: "k8s-secrets-listed-all-namespaces", name: "K8s secrets listed in all namespaces", priority: .critical, source: .k8sAudit,
        tags: ["T1552.007", "mitre_credential_access", "k8s_audit", "k8s"],
        description: "An identity listed or watched secrets with no namespace (kubectl get secrets -A): every secret of the cluster, with its data, in one request.",
        advice: "Identify the identity (ka.user.name, EKS ka.user.extra.arn) and where it called from (ka.sourceips, ka.useragent). If unexpected, revoke its credentials, rotate the cluster's secrets (tokens, registry and cloud credentials first) and review RBAC for cluster-wide secret access.")

    /// get of a secret by an identity the profile does not expect in that namespace (T1552.007).
    public static let k8sSecretRead = Rule(
        id: "k8s-secret-read", name: "K8s secret read", priority: .warning, source: .k8sAudit,
        tags: ["T1552.007", "mitre_credential_access", "k8s_audit", "k8s"],
        description: "An identity read a secret (kubectl get/describe secret) in a namespace where its profile does not list it as a reader.",
        advice: "Check whether the identity needs this secret (then add it under audit.allow with the namespace); otherwise rotate the secret and review the identity's RBAC and recent activity.")

    /// pods/exec or pods/attach (T1609).
    public static let k8sPodExec = Rule(
        id: "k8s-pod-exec", name: "K8s exec or attach into pod", priority: .warning, source: .k8sAudit,
        tags: ["T1609", "mitre_execution", "k8s_audit", "k8s"],
        description: "An identity ran a command in a pod (pods/exec, kubectl exec) or attached to one (pods/attach). Raised to Critical in namespaces the profile marks as production.",
        advice: "Confirm with the person behind ka.user.name that the session (ka.exec.command) was planned; correlate with the runtime alerts of the same pod; if not, delete the pod and revoke the identity's exec rights.")

    /// A pod or workload template that can escape to the node (T1611).
    public static let k8sPrivilegedWorkload = Rule(
        id: "k8s-privileged-workload", name: "K8s privileged workload created", priority: .critical, source: .k8sAudit,
        tags: ["T1611", "mitre_privilege_escalation", "k8s_audit", "k8s"],
        description: "A pod or workload template was created or updated with a privileged container, hostPID/hostNetwork/hostIPC, a hostPath of / or a container-runtime socket, or an added capability such as SYS_ADMIN.",
        advice: "Check ka.req.pod.risks against what the workload needs; if unexpected, delete it, find who created it (ka.user.name) and enforce Pod Security Admission 'restricted' or 'baseline' on the namespace.")

    /// TokenRequest (serviceaccounts/token create) by someone other than the kubelet and controllers.
    public static let k8sTokenRequest = Rule(
        id: "k8s-token-request", name: "K8s service account token requested", priority: .warning, source: .k8sAudit,
        tags: ["T1528", "T1552.007", "mitre_credential_access", "k8s_audit", "k8s"],
        description: "An identity other than the kubelet and the control-plane controllers created a service-account token (TokenRequest, kubectl create token), minting credentials for that service account.",
        advice: "Find why ka.user.name needed a token for ka.target.name; if unexpected, delete the service account's tokens (recreate the account) and review who may create serviceaccounts/token.")

    /// A pod's bound service-account token used from an address that is not the pod's.
    public static let k8sTokenUsedElsewhere = Rule(
        id: "k8s-token-used-elsewhere", name: "K8s service account token used from another address", priority: .critical, source: .k8sAudit,
        tags: ["T1528", "T1550.001", "mitre_credential_access", "mitre_lateral_movement", "k8s_audit", "k8s"],
        description: "A request authenticated with a pod's bound service-account token (the pod named in user.extra) came from the address of another pod on this node, or, for a pod on this node, from an address that is not the pod's own.",
        advice: "Treat the token as stolen: delete the token's pod (its bound token dies with it), look for service-account-token-read alerts in that pod to find how it was taken, and review what the requests did with ka.user.name's rights.")

    /// An identity's hourly secret reads, secret lists, exec or TokenRequests far above its baseline.
    public static let k8sAbnormalRate = Rule(
        id: "k8s-abnormal-rate", name: "K8s abnormal request rate", priority: .warning, source: .k8sAudit,
        tags: ["T1552.007", "T1528", "mitre_credential_access", "mitre_discovery", "k8s_audit", "k8s"],
        description: "An identity made more secret reads, secret lists, exec/attach or TokenRequests in one hour than its learned baseline's busiest hour times the profile's audit.rate_factor (at least 10).",
        advice: "Compare with the identity's usual work (rw.rate.learned_max); a sudden burst of secret reads is typical of a stolen credential enumerating what it can reach.")

    /// Every k8s_audit rule, in catalog order.
    public static let k8sAuditRules: [Rule] = [
        .k8sSecretsListedAllNamespaces, .k8sSecretRead, .k8sPodExec, .k8sPrivilegedWorkload, .k8sTokenRequest, .k8sAbnormalRate,
    ]
}

/// The rules known to this build: lookup by stable id or by human name.
public struct RuleCatalog: Sendable {
    /// Rules in registration order.
    public private(set) var rules: [Rule]
    private var indexByID: [String: Int] = [:]
    private var indexByName: [String: Int] = [:]

    /// The built-in rules (the ones with `Rule.` constants above).
    public static let builtin = RuleCatalog([
        .serviceAccountTokenRead, .reverseShell, .bindShell, .unexpectedOutboundConnection, .kubernetesAPIAfterTokenRead,
        .internalEventDrop, .internalSyscallRefused, .incident, .responseTaken,
    ] + Rule.k8sAuditRules + [.k8sTokenUsedElsewhere])

    public init(_ rules: [Rule] = []) {
        self.rules = []
        for rule in rules { register(rule) }
    }

    /// Adds `rule`, replacing an earlier rule with the same id (so a detector may refine a built-in).
    public mutating func register(_ rule: Rule) {
        if let i = indexByID[rule.id] {
            indexByName[rules[i].name.lowercased()] = nil
            rules[i] = rule
            indexByName[rule.name.lowercased()] = i
        } else {
            indexByID[rule.id] = rules.count
            indexByName[rule.name.lowercased()] = rules.count
            rules.append(rule)
        }
    }

    /// Registers every rule the detectors declare.
    public mutating func register(detectors: [any Detector]) {
        for d in detectors { for r in d.rules { register(r) } }
    }

    public var ruleIDs: Set<String> { Set(rules.map(\.id)) }

    /// The rule with stable id `id`, or nil.
    public func rule(id: String) -> Rule? { indexByID[id].map { rules[$0] } }

    /// The rule whose human name is `name` (case-insensitive), or nil.
    public func rule(named name: String) -> Rule? { indexByName[name.lowercased()].map { rules[$0] } }

    /// The rule by id, else by name; nil if neither matches.
    public func rule(idOrName key: String) -> Rule? { rule(id: key) ?? rule(named: key) }

    /// The ids in `ids` this catalog does not know, in the order given.
    public func unknownIDs(in ids: some Sequence<String>) -> [String] { ids.filter { indexByID[$0] == nil } }

    /// The known id closest to a misspelt one, for "did you mean" messages; nil if none is close.
    public func suggestion(for id: String) -> String? { ClosestMatch.suggestion(for: id, among: rules.map(\.id)) }
}
