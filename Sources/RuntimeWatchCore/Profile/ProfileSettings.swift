// SPDX-License-Identifier: Apache-2.0
// Optional knobs detectors and the engine read from a profile's `settings:` block. Every field is
// optional so files merge key by key: a later file overrides only what it sets.

/// Where the Kubernetes API server is, for the "token read then API call" correlation.
public struct KubernetesAPISettings: Sendable, Hashable {
    public var cidrs: [CIDR]
    public var ports: PortSet
    public init(cidrs: [CIDR], ports: PortSet) { self.cidrs = cidrs; self.ports = ports }

    /// True if `address:port` is an API server endpoint by these settings.
    public func matches(address: IPAddress, port: UInt16) -> Bool {
        Destination(cidrs: cidrs, ports: ports).matches(address: address, port: port)
    }
}

public struct ProfileSettings: Sendable, Hashable {
    /// `fold_window_seconds`: how long repeats of the same alert are folded into one (engine; default 60).
    public var foldWindowSeconds: Double?
    /// `flood_burst`: distinct alerts one rule and identity may emit per fold window before the rest
    /// is summarised into one alert (engine; default 20; 0: never summarise).
    public var floodBurst: Int?
    /// `kubernetes_api: {cidrs: [...], ports: "443,6443"}`.
    public var kubernetesAPI: KubernetesAPISettings?
    /// `production_namespaces: [glob, ...]`: namespaces whose alerts detectors may raise in priority.
    public var productionNamespaces: [Glob]?

    public init(foldWindowSeconds: Double? = nil, floodBurst: Int? = nil, kubernetesAPI: KubernetesAPISettings? = nil,
                productionNamespaces: [Glob]? = nil) {
        self.foldWindowSeconds = foldWindowSeconds; self.floodBurst = floodBurst; self.kubernetesAPI = kubernetesAPI
        self.productionNamespaces = productionNamespaces
    }

    /// These settings with every key that `later` sets taken from `later`.
    public func overridden(by later: ProfileSettings) -> ProfileSettings {
        ProfileSettings(foldWindowSeconds: later.foldWindowSeconds ?? foldWindowSeconds,
                        floodBurst: later.floodBurst ?? floodBurst,
                        kubernetesAPI: later.kubernetesAPI ?? kubernetesAPI,
                        productionNamespaces: later.productionNamespaces ?? productionNamespaces)
    }

    /// True if `namespace` matches one of `production_namespaces`.
    public func isProduction(namespace: String?) -> Bool {
        guard let namespace, let globs = productionNamespaces else { return false }
        return globs.contains { $0.matches(namespace) }
    }
}
