// SPDX-License-Identifier: Apache-2.0
// One fully populated sample of every Event case (every optional field set, awkward strings), for
// codec and trace round-trip tests. `caseIndex` is an exhaustive switch: adding an Event case
// breaks the build here until a sample is added.

@testable import RuntimeWatchCore

enum EventSamples {
    static let caseCount = 16

    /// Position of the case in `all`; exhaustive on purpose.
    static func caseIndex(_ event: Event) -> Int {
        switch event {
        case .snapshot: 0
        case .fork: 1
        case .exec: 2
        case .exit: 3
        case .uid: 4
        case .gid: 5
        case .sid: 6
        case .comm: 7
        case .ptrace: 8
        case .coredump: 9
        case .container: 10
        case .drop: 11
        case .fileOpen: 12
        case .connect: 13
        case .descriptors: 14
        case .k8sAudit: 15
        }
    }

    static let awkward = "quote \" backslash \\ slash / tab \t newline \n nul-ish \u{1} é 雪 🚀"

    static var fullDescriptors: [DescriptorInfo] {
        [
            DescriptorInfo(fd: 0, kind: .socket, target: "socket:[31337]", inode: 31337,
                           socket: .init(family: "inet6", proto: "tcp", localAddress: "::1", localPort: 40000,
                                         remoteAddress: "2001:db8::7", remotePort: 443, state: "ESTABLISHED")),
            DescriptorInfo(fd: 1, kind: .pipe, target: "pipe:[4242]", inode: 4242),
            DescriptorInfo(fd: 2, kind: .devnull, target: "/dev/null"),
        ]
    }

    static var fullProcess: ProcessInfo {
        ProcessInfo(pid: ProcessID(4242), ppid: ProcessID(1), comm: "bash", exe: "/usr/bin/bash",
                    argv: ["bash", "-c", awkward, ""], cwd: "/srv/app dir",
                    credentials: Credentials(uid: 1000, euid: 0, gid: 1000, egid: 0, capEff: 0x0000_01ff_ffff_ffff),
                    cgroup: "/kubepods/burstable/pod70ef7566-0545-479b-acae-293598e45cdc/562d57d2a7024af7788335df24fc997c9029d29fc820445c40ec3628c9c4a324",
                    fds: fullDescriptors, startTicks: UInt64(Int64.max) + 12, source: "proc")
    }

    /// An audit event with every field the model keeps set (a CronJob template with every risk).
    static var fullAudit: AuditEvent {
        let container = AuditContainer(name: awkward, image: "busybox", securityContext: AuditSecurityContext(
            privileged: true, allowPrivilegeEscalation: true, capabilities: AuditCapabilities(add: ["SYS_ADMIN"], drop: ["ALL"])))
        let pod = AuditPodSpec(hostPID: true, hostNetwork: false, hostIPC: true, containers: [container],
                               initContainers: [container], ephemeralContainers: [container],
                               volumes: [AuditVolume(name: "root", hostPath: AuditHostPath(path: "/"))])
        let spec = AuditObjectSpec(pod: pod, template: AuditPodTemplate(spec: pod),
                                   jobTemplate: AuditJobTemplate(spec: AuditJobSpec(template: AuditPodTemplate(spec: pod))))
        return AuditEvent(level: "RequestResponse", auditID: "6f3c1c1e-0000-4000-8000-000000000001", stage: "ResponseComplete",
                          requestURI: "/apis/batch/v1/namespaces/prod/cronjobs?fieldManager=kubectl-client-side-apply", verb: "create",
                          user: AuditUser(username: "arn:aws:iam::111122223333:user/" + awkward, uid: "aws-iam-authenticator:1",
                                          groups: ["system:authenticated"], extra: ["arn": ["arn:aws:iam::111122223333:user/x"], "sessionName": [""]]),
                          impersonatedUser: AuditUser(username: "system:serviceaccount:prod:default"),
                          sourceIPs: ["198.51.100.10", "2001:db8::1"], userAgent: awkward,
                          objectRef: AuditObjectReference(resource: "cronjobs", subresource: "status", namespace: "prod", name: "x",
                                                          apiGroup: "batch", apiVersion: "v1"),
                          responseStatus: AuditResponseStatus(code: 201, status: "Success", reason: "Created"),
                          requestObject: AuditRequestObject(kind: "CronJob", metadata: AuditObjectMetadata(name: "x", namespace: "prod", generateName: "x-"), spec: spec),
                          annotations: ["authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": awkward],
                          requestReceivedTimestamp: "2026-11-22T10:00:00.000001Z", stageTimestamp: "2026-11-22T10:00:00.999999Z",
                          timestamp: "2026-11-22T10:00:00Z")
    }

    static var all: [Event] {
        let pid = ProcessID(Int32.max)
        return [
            .snapshot(fullProcess),
            .fork(ForkEvent(parent: ProcessID(1), child: pid)),
            .exec(fullProcess),
            .exit(ExitEvent(pid: pid, code: -1, signal: 9)),
            .uid(IDChangeEvent(pid: pid, real: UInt32.max, effective: 0)),
            .gid(IDChangeEvent(pid: pid, real: 0, effective: UInt32.max)),
            .sid(PIDEvent(pid: pid)),
            .comm(CommEvent(pid: pid, comm: awkward)),
            .ptrace(PtraceEvent(pid: pid, tracer: ProcessID(7), attach: true)),
            .coredump(PIDEvent(pid: ProcessID(0))),
            .container(ContainerInfo(id: ContainerID("562d57d2a7024af7788335df24fc997c9029d29fc820445c40ec3628c9c4a324"),
                                     runtime: "containerd", podUID: "70ef7566-0545-479b-acae-293598e45cdc", qosClass: "burstable",
                                     podName: "web-0", namespace: "shop", containerName: "nginx",
                                     image: "registry.example:5000/team/nginx@sha256:" + String(repeating: "ab", count: 32),
                                     entrypoint: ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"],
                                     bundle: "/run/containerd/io.containerd.runtime.v2.task/k8s.io/562d/config.json",
                                     resolvers: ["10.96.0.10", "fd00::a"])),
            .drop(DropEvent(source: "proc_connector", count: UInt64.max, reason: "ENOBUFS")),
            .fileOpen(FileOpenEvent(pid: pid, path: "/var/lib/kubelet/pods/x/volumes/kubernetes.io~projected/kube-api-access/token",
                                    containerPath: "/var/run/secrets/kubernetes.io/serviceaccount/token", write: true,
                                    process: fullProcess)),
            .connect(ConnectEvent(pid: pid, proto: "udp", localAddress: "10.0.0.2", localPort: 53000,
                                  remoteAddress: "198.51.100.7", remotePort: UInt16.max, result: 115, process: fullProcess)),
            .descriptors(DescriptorsEvent(pid: pid, fds: fullDescriptors)),
            .k8sAudit(fullAudit),
        ]
    }

    /// Every sample as a record, timestamps increasing from a large value (near 2^63 ns) so the
    /// full UInt64 range is exercised.
    static var records: [EventRecord] {
        all.enumerated().map { EventRecord(timestamp: UInt64(Int64.max) + UInt64($0.offset), event: $0.element) }
    }
}
