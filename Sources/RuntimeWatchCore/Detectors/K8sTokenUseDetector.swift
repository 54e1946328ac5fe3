// SPDX-License-Identifier: Apache-2.0
// Stolen service-account token use (issue 16): a bound token names its pod in the request's
// `user.extra` (`authentication.kubernetes.io/pod-name` and `pod-uid`), so the API server's audit
// event says whose token made the request, and `sourceIPs` says where it came from. This node knows
// the addresses of its own pods (PodAddressIndex, from their connects). The request is raised when:
// - it came from the address of ANOTHER pod on this node (pod B used pod A's token), wherever A runs;
// - or the token's pod runs on this node, its address is known, and the request came from an address
//   that is not its own (the token left the pod).
// A request with the token of a pod on another node, from an address this node does not know, is
// that node's to judge (its monitor knows the pod's address): nothing is raised here. A hostNetwork
// pod shares the node's address with host processes (ambiguous in the index): never raised.

public struct K8sTokenUseDetector: Detector {
    public static let podNameExtra = "authentication.kubernetes.io/pod-name"
    public static let podUIDExtra = "authentication.kubernetes.io/pod-uid"
    public static let nodeNameExtra = "authentication.kubernetes.io/node-name"

    public var rules: [Rule] { [.k8sTokenUsedElsewhere] }

    /// One alert per request, whatever its stages.
    private var evaluated = RecentAuditIDs(capacity: 8192)

    public init() {}

    public func needsInspection(of record: EventRecord) -> Bool {
        if case .k8sAudit(let e) = record.event { return e.user.extraValue(Self.podUIDExtra) != nil }
        return false
    }

    public mutating func inspect(_ record: EventRecord, context: DetectionContext) -> [Alert] {
        guard case .k8sAudit(let e) = record.event, let tokenPodUID = e.user.extraValue(Self.podUIDExtra),
              AuditStagePolicy.shouldEvaluate(e), let source = e.sourceIPs?.first else { return [] }
        let state = context.state
        let sourceContainer = state.podAddresses.container(forAddress: source)
        let sourcePod = sourceContainer.flatMap { state.container($0) }
        if let sourcePod {
            // From a pod of this node: its own token, or another pod's.
            guard sourcePod.podUID != tokenPodUID else { return [] }
        } else {
            // From an address this node does not tie to a pod: raised only when the token's pod is
            // here and has an address of its own that this is not.
            guard Self.knownAddresses(ofPod: tokenPodUID, state: state).contains(where: { $0 != source }) else { return [] }
        }
        guard evaluated.insert(e.auditID) else { return [] }
        let rule = Rule.k8sTokenUsedElsewhere
        if context.profile.audit.allows(rule: rule.id, event: e) != nil { return [] }

        let tokenPod = state.containers.values.first { $0.podUID == tokenPodUID }
        var extra: AlertFields = [
            "ka.token.pod.name": FieldValue(e.user.extraValue(Self.podNameExtra)),
            "ka.token.pod.uid": .string(tokenPodUID),
            "ka.token.pod.node": FieldValue(e.user.extraValue(Self.nodeNameExtra)),
            "ka.token.pod.on_this_node": .string(tokenPod == nil ? "false" : "true"),
            "ka.source.pod": FieldValue(sourcePod.map { "\($0.namespace ?? "<NA>")/\($0.podName ?? "<NA>")" }),
            "ka.source.pod.uid": FieldValue(sourcePod?.podUID),
        ]
        extra["rw.reason"] = .string(sourcePod != nil
            ? "the token of pod \(e.user.extraValue(Self.podNameExtra) ?? tokenPodUID) was used from another pod's address"
            : "the token of a pod on this node was used from an address that is not the pod's")
        // The alert is about the pod that used the token: it joins that pod's incident. With no pod
        // behind the address, it joins the token's own pod.
        let link = sourceContainer.map { AuditPodLink(container: $0, method: "source-ip") }
            ?? tokenPod.map { AuditPodLink(container: $0.id, method: "token-pod-uid") }
        var text = "Service-account token of pod %ka.token.pod.name used from %ka.sourceips"
        text += sourcePod != nil ? ", the address of pod %ka.source.pod" : ", not the pod's own address"
        text += " (user=%ka.user.name verb=%ka.verb uri=%ka.uri code=%ka.response.code useragent=%ka.useragent)"
        return [AuditAlertBuilder.build(rule: rule, output: text, record: record, event: e, link: link,
                                        state: state, hostname: context.hostname, extra: extra)]
    }

    /// Addresses this node learned for the pod with UID `uid` (none for a pod elsewhere, or whose
    /// address is shared with the host). Scans the bounded index: only on the rare path where the
    /// request's address is not a known pod's.
    static func knownAddresses(ofPod uid: String, state: SystemState) -> [String] {
        let containers = Set(state.containers.values.filter { $0.podUID == uid }.map(\.id))
        guard !containers.isEmpty else { return [] }
        return state.podAddresses.owners.compactMap { address, owner in
            if case .container(let id) = owner, containers.contains(id) { return address }
            return nil
        }
    }
}
