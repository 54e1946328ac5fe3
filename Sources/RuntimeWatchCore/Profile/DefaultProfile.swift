// SPDX-License-Identifier: Apache-2.0
// The embedded default profile, compiled in so `sudo runtime-watch` works with no file. Must stay
// byte-identical to profiles/default.yaml (DefaultProfileTests reads that file and compares).

/// The compiled-in default profile.
public enum DefaultProfile {
    /// YAML text of profiles/default.yaml.
    public static let yaml = #"""
# runtime-watch embedded default profile (version 1).
# Compiled into the binary as DefaultProfile.yaml; keep the two identical (a test checks).
# It makes `sudo runtime-watch` useful with no configuration: the usual node agents that
# read their service-account token and call the API server are expected; everything else
# alerts. Schema: profiles/README.md.
version: 1

allow:
  # --- Service-account token readers that every cluster runs -------------------------
  - rules: [service-account-token-read, k8s-api-after-token-read, unexpected-outbound-connection]
    namespace: kube-system
    image: "*kube-proxy*"
    reason: "kube-proxy watches Services and EndpointSlices through the API server"
  - rules: [service-account-token-read, k8s-api-after-token-read, unexpected-outbound-connection]
    namespace: kube-system
    image: "*coredns*"
    reason: "CoreDNS watches Services through the API server"
  - rules: [service-account-token-read, k8s-api-after-token-read, unexpected-outbound-connection]
    namespace: kube-system
    image: "*metrics-server*"
    reason: "metrics-server reads node and pod metrics through the API server"
  - rules: [service-account-token-read, k8s-api-after-token-read, unexpected-outbound-connection]
    namespace: kube-system
    image: "*konnectivity-agent*"
    reason: "konnectivity-agent tunnels control-plane traffic and authenticates with its token"

  # --- CNI agents ----------------------------------------------------------------------
  - rules: [service-account-token-read, k8s-api-after-token-read, unexpected-outbound-connection]
    namespace: calico-system
    image: "*calico/*"
    reason: "Calico node, typha and kube-controllers read their tokens to watch the API"
  - rules: [service-account-token-read, k8s-api-after-token-read, unexpected-outbound-connection]
    namespace: kube-system
    image: "*calico/*"
    reason: "Calico installed by manifest into kube-system"
  - rules: [service-account-token-read, k8s-api-after-token-read, unexpected-outbound-connection]
    namespace: kube-system
    image: "*cilium/*"
    reason: "cilium-agent and cilium-operator watch the API server"
  - rules: [service-account-token-read, k8s-api-after-token-read, unexpected-outbound-connection]
    namespace: kube-flannel
    image: "*flannel*"
    reason: "flannel reads node subnets from the API server"
  - rules: [service-account-token-read, k8s-api-after-token-read, unexpected-outbound-connection]
    namespace: kube-system
    image: "*flannel*"
    reason: "flannel installed into kube-system by older manifests"
  - rules: [service-account-token-read, k8s-api-after-token-read, unexpected-outbound-connection]
    namespace: kube-system
    image: "*amazon-k8s-cni*"
    reason: "aws-node (Amazon VPC CNI) manages ENIs and reads pods from the API server"
  - rules: [service-account-token-read, k8s-api-after-token-read, unexpected-outbound-connection]
    namespace: kube-system
    image: "*kindnetd*"
    reason: "kindnet (kind clusters) reads node CIDRs from the API server"

  # --- CSI node plugins ------------------------------------------------------------------
  - rules: [service-account-token-read, k8s-api-after-token-read, unexpected-outbound-connection]
    namespace: kube-system
    image: "*csi-driver*"
    reason: "CSI node plugins (EBS, EFS, GCE PD, Azure Disk, ...) read their tokens"
  - rules: [service-account-token-read, k8s-api-after-token-read]
    namespace: kube-system
    image: "*csi-node-driver-registrar*"
    reason: "the CSI node-driver-registrar sidecar registers the plugin with the kubelet"

  # --- The kubelet writes and rotates projected tokens on the host ------------------------
  - rules: [service-account-token-read]
    host: true
    executable: "*/kubelet"
    reason: "the kubelet writes and refreshes projected service-account tokens"

  # --- Egress every workload needs --------------------------------------------------------
  # DNS (port 53) needs no entry: it is expected to the resolvers each container is configured
  # with (its /etc/resolv.conf) and to the node's own; to any other address it alerts. To
  # allow a resolver a workload reaches on its own, list it here (say {cidr: 9.9.9.9/32, ports: "53"}).
  - rules: [unexpected-outbound-connection]
    destinations:
      - {cidr: 0.0.0.0/0, ports: "123"}
      - {cidr: "::/0", ports: "123"}
    reason: "NTP time synchronisation"
  - rules: [unexpected-outbound-connection]
    destinations:
      - {cidr: 127.0.0.0/8}
      - {cidr: "::1/128"}
    reason: "loopback is not outbound"

# --- Kubernetes API audit (k8s_audit rules) ----------------------------------------------
# The control plane's own identities are expected to read secrets and mint tokens; people and
# workloads are not. Exec/attach is never allowlisted here. Workload risk (privileged, host
# namespaces, hostPath) is allowed by the WORKLOAD, never by who created it: every pod of a
# Deployment, DaemonSet or Job is created by a kube-system controller.
audit:
  allow:
    - rules: [k8s-secrets-listed-all-namespaces, k8s-secret-read, k8s-token-request]
      users: ["system:kube-controller-manager", "system:kube-scheduler", "system:apiserver", "system:kube-proxy"]
      reason: "control-plane components authenticate as their system: users"
    - rules: [k8s-secrets-listed-all-namespaces, k8s-secret-read, k8s-token-request]
      users: ["system:serviceaccount:kube-system:*"]
      reason: "controllers (daemon-set-controller, replicaset-controller, generic-garbage-collector, ...) and kube-system add-ons"
    - rules: [k8s-secrets-listed-all-namespaces, k8s-secret-read, k8s-token-request]
      users: ["system:node:*"]
      groups: ["system:nodes"]
      reason: "the kubelet reads its pods' secrets, requests their projected tokens and creates mirror pods"
    - rules: [k8s-secrets-listed-all-namespaces, k8s-secret-read, k8s-token-request]
      users: ["eks:*"]
      reason: "EKS control-plane components (eks:certificate-controller, eks:node-manager, eks:addon-manager, ...)"
    - rules: [k8s-privileged-workload]
      namespaces: [kube-system]
      owners: ["DaemonSet/*", "Node/*"]
      reason: "node agents (kube-proxy, CNI and CSI node plugins) are kube-system DaemonSets; static control-plane pods are mirrored with their Node as owner. A bare pod or a Deployment in kube-system is still judged"

"""#
}
