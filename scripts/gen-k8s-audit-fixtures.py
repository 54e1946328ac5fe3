#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes the k8s audit fixtures deterministically (same bytes every run):
#   Tests/RuntimeWatchCoreTests/Fixtures/k8s-audit/attacks.jsonl  - the attack requests, one scenario each
#   Tests/RuntimeWatchCoreTests/Fixtures/k8s-audit/benign.jsonl   - 3 hours of control-plane, kubelet and
#                                                                   ordinary user traffic (no alert expected)
#   Tests/RuntimeWatchCoreTests/Fixtures/k8s-audit/workloads.jsonl - every risky pod variant created directly
#                                                                   and by each controller (one alert each)
# Events follow the audit.k8s.io/v1 Event schema exactly as the API server's log backend writes them
# (compact JSON, one per line, RFC 3339 microsecond timestamps, Metadata level unless a rule needs the
# request body). Usage: scripts/gen-k8s-audit-fixtures.py [output-dir]

import datetime
import json
import os
import random
import sys
import uuid

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "RuntimeWatchCoreTests", "Fixtures", "k8s-audit")
rng = random.Random(20261120)

KUBECTL = "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46"
KUBELET = "kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46"
NODE_IP = "172.18.0.2"
ADMIN_IP = "192.0.2.10"


def audit_id():
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event(t, verb, uri, user, resource, *, namespace=None, name=None, subresource=None, group="", version="v1",
          code=200, stages=("ResponseComplete",), level="Metadata", agent=KUBECTL, ips=(ADMIN_IP,), request=None,
          decision="allow", reason="", latency_us=2300, impersonated=None, offsets_us=None):
    """One request, as the lines of each of its stages (stage i at latency_us * i after the request,
    or at offsets_us[i] when given)."""
    aid = audit_id()
    ref = {"resource": resource}
    if namespace is not None:
        ref["namespace"] = namespace
    if name is not None:
        ref["name"] = name
    if subresource is not None:
        ref["subresource"] = subresource
    ref["apiGroup"] = group
    ref["apiVersion"] = version
    lines = []
    for i, stage in enumerate(stages):
        e = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level, "auditID": aid, "stage": stage,
             "requestURI": uri, "verb": verb, "user": user}
        if impersonated:
            e["impersonatedUser"] = impersonated
        e["sourceIPs"] = list(ips)
        e["userAgent"] = agent
        e["objectRef"] = ref
        if stage != "RequestReceived":
            status = {"metadata": {}, "code": code}
            if code == 403:
                status.update({"status": "Failure", "message": "forbidden", "reason": "Forbidden"})
            e["responseStatus"] = status
        if request is not None and level in ("Request", "RequestResponse"):
            e["requestObject"] = request
        e["requestReceivedTimestamp"] = ts(t)
        e["stageTimestamp"] = ts(t + datetime.timedelta(microseconds=offsets_us[i] if offsets_us else latency_us * i))
        annotations = {"authorization.k8s.io/decision": decision, "authorization.k8s.io/reason": reason}
        if stage != "RequestReceived":
            e["annotations"] = annotations
        lines.append(e)
    return lines


def pod_spec(containers, **extra):
    spec = {"containers": containers, "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "terminationGracePeriodSeconds": 30}
    spec.update(extra)
    return spec


def container(name, image, **security):
    c = {"name": name, "image": image, "resources": {}, "terminationMessagePath": "/dev/termination-log",
         "imagePullPolicy": "IfNotPresent"}
    if security:
        c["securityContext"] = security
    return c


ADMIN = {"username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:authenticated"]}
ALICE = {"username": "oidc:alice@example.com", "uid": "c0ffee00-1111-4222-8333-444455556666",
         "groups": ["oidc:developers", "system:authenticated"]}
EKS = {"username": "arn:aws:sts::111122223333:assumed-role/EKSAdmin/mallory",
       "uid": "aws-iam-authenticator:111122223333:AROAEXAMPLEROLEID0001",
       "groups": ["system:authenticated"],
       "extra": {"accessKeyId": ["ASIAEXAMPLEKEY000001"],
                 "arn": ["arn:aws:sts::111122223333:assumed-role/EKSAdmin/mallory"],
                 "canonicalArn": ["arn:aws:iam::111122223333:role/EKSAdmin"],
                 "principalId": ["AROAEXAMPLEROLEID0001"],
                 "sessionName": ["mallory"]}}
WEB_SA = {"username": "system:serviceaccount:shop:web", "uid": "9d1c2a3b-0000-4000-8000-00000000a001",
          "groups": ["system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"],
          "extra": {"authentication.kubernetes.io/pod-name": ["web-7d4b9c-x2x9q"],
                    "authentication.kubernetes.io/pod-uid": ["5f0c2c1e-8c6e-4b8a-9a51-0e9f7d2b6c11"]}}
KUBELET_USER = {"username": "system:node:node-1", "groups": ["system:nodes", "system:authenticated"]}


def owned_by(kind, name, api="apps/v1"):
    """metadata.ownerReferences as the controllers set it on what they create (the uid derived from
    the name, not from rng, so adding owners leaves every other generated value unchanged)."""
    return [{"apiVersion": api, "kind": kind, "name": name, "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}/{name}")),
             "controller": True, "blockOwnerDeletion": True}]


def sa(ns, name):
    return {"username": f"system:serviceaccount:{ns}:{name}", "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "groups": ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]}


def attacks():
    t0 = datetime.datetime(2026, 11, 20, 9, 0, 0, 100000)
    s = lambda seconds: t0 + datetime.timedelta(seconds=seconds)
    out = []
    # 1. kubectl get secrets -A -o json (cluster admin): list secrets, no namespace.
    out += event(s(0), "list", "/api/v1/secrets?limit=500", ADMIN, "secrets",
                 stages=("RequestReceived", "ResponseComplete"),
                 reason='RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"')
    # 2. kubectl describe secret db-password -n shop: get the secret, then list its events (no rule).
    out += event(s(20), "get", "/api/v1/namespaces/shop/secrets/db-password", ALICE, "secrets", namespace="shop",
                 name="db-password", stages=("RequestReceived", "ResponseComplete"),
                 reason='RBAC: allowed by RoleBinding "developers/shop" of Role "secret-reader" to Group "oidc:developers"')
    out += event(s(20.05), "list", "/api/v1/namespaces/shop/events?fieldSelector=involvedObject.name%3Ddb-password%2CinvolvedObject.namespace%3Dshop%2CinvolvedObject.kind%3DSecret%2CinvolvedObject.uid%3D0b7a&limit=500",
                 ALICE, "events", namespace="shop", stages=("ResponseComplete",))
    # 3. kubectl exec -it web-0 -n prod -- /bin/bash: get the pod, then pods/exec (a long-running
    #    request: RequestReceived and ResponseStarted now, ResponseComplete when the session ends).
    out += event(s(40), "get", "/api/v1/namespaces/prod/pods/web-0", ALICE, "pods", namespace="prod", name="web-0")
    exec_lines = event(s(40.2), "create", "/api/v1/namespaces/prod/pods/web-0/exec?command=%2Fbin%2Fbash&container=web&stdin=true&stdout=true&tty=true",
                       ALICE, "pods", namespace="prod", name="web-0", subresource="exec", code=101,
                       stages=("RequestReceived", "ResponseStarted", "ResponseComplete"), offsets_us=(0, 800, 600_000_000))
    out += exec_lines[:2]
    # 4. kubectl exec in a namespace that is not production, with a multi-word command.
    out += event(s(60), "create", "/api/v1/namespaces/staging/pods/api-5c9f/exec?command=sh&command=-c&command=cat%20%2Fetc%2Fpasswd&container=api&stdout=true&stderr=true",
                 ALICE, "pods", namespace="staging", name="api-5c9f", subresource="exec", code=101,
                 stages=("RequestReceived", "ResponseStarted"), latency_us=800)
    # 5. A privileged pod create (RequestResponse level carries the pod).
    debugger = {"kind": "Pod", "apiVersion": "v1",
                "metadata": {"name": "debugger", "namespace": "default", "creationTimestamp": None,
                             "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}"}},
                "spec": pod_spec([container("shell", "busybox:1.36", privileged=True)], hostPID=True,
                                 volumes=[{"name": "host", "hostPath": {"path": "/", "type": ""}}]),
                "status": {}}
    out += event(s(80), "create", "/api/v1/namespaces/default/pods?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
                 ALICE, "pods", namespace="default", name="debugger", code=201, level="RequestResponse",
                 request=debugger, stages=("RequestReceived", "ResponseComplete"))
    # 6. An EKS IAM identity creates a DaemonSet mounting containerd's socket with SYS_ADMIN ...
    ds = {"kind": "DaemonSet", "apiVersion": "apps/v1",
          "metadata": {"name": "node-agent", "namespace": "default"},
          "spec": {"selector": {"matchLabels": {"app": "node-agent"}},
                   "template": {"metadata": {"labels": {"app": "node-agent"}},
                                "spec": pod_spec([container("agent", "111122223333.dkr.ecr.us-east-1.amazonaws.com/agent:1.0",
                                                            capabilities={"add": ["SYS_ADMIN", "NET_BIND_SERVICE"]})],
                                                 volumes=[{"name": "sock", "hostPath": {"path": "/run/containerd/containerd.sock", "type": "Socket"}}])}}}
    out += event(s(100), "create", "/apis/apps/v1/namespaces/default/daemonsets?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
                 EKS, "daemonsets", namespace="default", name="node-agent", group="apps", code=201,
                 level="RequestResponse", request=ds, ips=("203.0.113.77",),
                 reason='EKS Access Policy: allowed by ClusterRoleBinding "arn:aws:iam::111122223333:role/EKSAdmin+arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" of ClusterRole "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" to User "mallory"')
    #    ... and the daemon-set-controller creates its pod from the template (expected: no alert).
    pod = {"kind": "Pod", "apiVersion": "v1", "metadata": {"generateName": "node-agent-", "namespace": "default",
                                                           "ownerReferences": owned_by("DaemonSet", "node-agent")},
           "spec": ds["spec"]["template"]["spec"]}
    out += event(s(100.3), "create", "/api/v1/namespaces/default/pods", sa("kube-system", "daemon-set-controller"), "pods",
                 namespace="default", code=201, level="RequestResponse", request=pod, ips=(NODE_IP,),
                 agent="kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:daemon-set-controller")
    # 7. kubectl create token default -n shop (TokenRequest by a person).
    out += event(s(120), "create", "/api/v1/namespaces/shop/serviceaccounts/default/token", ALICE, "serviceaccounts",
                 namespace="shop", name="default", subresource="token", code=201, stages=("RequestReceived", "ResponseComplete"))
    # 8. A workload's service account tries to list every secret and is denied.
    out += event(s(140), "list", "/api/v1/secrets?limit=500", WEB_SA, "secrets", code=403, decision="forbid",
                 ips=("10.244.1.23",), agent="kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46", reason="")
    # 9. A Metadata-level pod create (no requestObject to judge): no alert.
    out += event(s(160), "create", "/api/v1/namespaces/shop/pods", ALICE, "pods", namespace="shop", name="plain", code=201)
    # 10. The exec session of scenario 3 ends (same auditID): no second alert.
    out += exec_lines[2:]
    return out


def benign():
    start = datetime.datetime(2026, 11, 20, 6, 0, 0)
    hours = 3
    out = []
    def at(seconds):
        return start + datetime.timedelta(seconds=seconds, microseconds=rng.randrange(0, 999_999))

    def add(seconds, *args, **kwargs):
        t = at(seconds)
        out.append((t, event(t, *args, **kwargs)))
    kcm = lambda name: sa("kube-system", name)
    kcm_agent = lambda name: f"kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:{name}"
    for second in range(0, hours * 3600, 60):
        minute = second // 60
        # kubelet: node lease renewals and status, its pods' secrets and configmaps.
        add(second, "update", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1?timeout=10s",
                                      KUBELET_USER, "leases", namespace="kube-node-lease", name="node-1", group="coordination.k8s.io",
                                      agent=KUBELET, ips=(NODE_IP,))
        if minute % 5 == 0:
            add(second + 7, "patch", "/api/v1/nodes/node-1/status?timeout=10s", KUBELET_USER, "nodes",
                                              name="node-1", subresource="status", agent=KUBELET, ips=(NODE_IP,))
            add(second + 9, "get", "/api/v1/namespaces/shop/secrets/db-password", KUBELET_USER, "secrets",
                                              namespace="shop", name="db-password", agent=KUBELET, ips=(NODE_IP,),
                                              reason="")
        if minute % 50 == 0:
            add(second + 11, "create", "/api/v1/namespaces/shop/serviceaccounts/web/token", KUBELET_USER,
                                               "serviceaccounts", namespace="shop", name="web", subresource="token", code=201,
                                               agent=KUBELET, ips=(NODE_IP,))
        # scheduler and controller-manager leader election.
        for who, agent in (("system:kube-scheduler", "kube-scheduler/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election"),
                           ("system:kube-controller-manager", "kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election")):
            lease = who.split(":")[1]
            add(second + 2, "update", f"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{lease}?timeout=5s",
                                              {"username": who, "groups": ["system:authenticated"]}, "leases", namespace="kube-system",
                                              name=lease, group="coordination.k8s.io", agent=agent, ips=(NODE_IP,),
                                              stages=("RequestReceived", "ResponseComplete"))
        # controllers: garbage collector and namespace controller watch/list secrets everywhere.
        if minute % 10 == 0:
            add(second + 13, "watch", "/api/v1/secrets?allowWatchBookmarks=true&resourceVersion=81234&timeout=9m21s&timeoutSeconds=561&watch=true",
                                               kcm("generic-garbage-collector"), "secrets", agent=kcm_agent("generic-garbage-collector"),
                                               ips=(NODE_IP,), latency_us=561_000_000)
            add(second + 15, "list", "/api/v1/secrets?limit=500&resourceVersion=0",
                                               {"username": "system:kube-controller-manager", "groups": ["system:authenticated"]}, "secrets",
                                               agent="kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/shared-informers",
                                               ips=(NODE_IP,))
        # replicaset-controller scales the shop deployment: ordinary pods.
        if minute % 30 == 0:
            web = {"kind": "Pod", "apiVersion": "v1", "metadata": {"generateName": "web-7d4b9c-", "namespace": "shop",
                                                                   "ownerReferences": owned_by("ReplicaSet", "web-7d4b9c")},
                   "spec": pod_spec([container("web", "registry.example.com/shop/web:2.4.1", allowPrivilegeEscalation=False,
                                               capabilities={"drop": ["ALL"]})])}
            add(second + 17, "create", "/api/v1/namespaces/shop/pods", kcm("replicaset-controller"), "pods",
                                               namespace="shop", code=201, level="RequestResponse", request=web,
                                               agent=kcm_agent("replicaset-controller"), ips=(NODE_IP,))
        # daemon-set-controller recreates kube-proxy (hostNetwork, privileged): expected.
        if minute % 90 == 45:
            proxy = {"kind": "Pod", "apiVersion": "v1", "metadata": {"generateName": "kube-proxy-", "namespace": "kube-system",
                                                                     "ownerReferences": owned_by("DaemonSet", "kube-proxy")},
                     "spec": pod_spec([container("kube-proxy", "registry.k8s.io/kube-proxy:v1.31.2", privileged=True)],
                                      hostNetwork=True, volumes=[{"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}},
                                                                 {"name": "lib-modules", "hostPath": {"path": "/lib/modules", "type": ""}}])}
            add(second + 19, "create", "/api/v1/namespaces/kube-system/pods", kcm("daemon-set-controller"),
                                               "pods", namespace="kube-system", code=201, level="RequestResponse", request=proxy,
                                               agent=kcm_agent("daemon-set-controller"), ips=(NODE_IP,))
        # kube-system add-ons: CoreDNS watches, kube-proxy lists.
        add(second + 21, "watch", "/apis/discovery.k8s.io/v1/endpointslices?allowWatchBookmarks=true&watch=true",
                                           sa("kube-system", "coredns"), "endpointslices", group="discovery.k8s.io",
                                           agent="coredns/v1.11.3 (linux/amd64) kubernetes/5864a46", ips=("10.244.0.2",))
        # Prometheus reads its scrape credentials in monitoring (allowed by the fixture profile).
        if minute % 15 == 0:
            add(second + 23, "get", "/api/v1/namespaces/monitoring/secrets/prometheus-scrape-tls",
                                               sa("monitoring", "prometheus"), "secrets", namespace="monitoring",
                                               name="prometheus-scrape-tls", agent="prometheus/2.54.1", ips=("10.244.1.40",))
        # People doing ordinary things: read pods and logs, list secrets of one namespace, apply a plain deployment.
        if minute % 20 == 3:
            add(second + 25, "list", "/api/v1/namespaces/shop/pods?limit=500", ALICE, "pods", namespace="shop")
            add(second + 26, "get", "/api/v1/namespaces/shop/pods/web-0/log?container=web", ALICE, "pods",
                                               namespace="shop", name="web-0", subresource="log")
            add(second + 27, "list", "/api/v1/namespaces/shop/secrets?limit=500", ALICE, "secrets",
                                               namespace="shop")
        if minute % 60 == 33:
            deploy = {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": "web", "namespace": "shop"},
                      "spec": {"replicas": 3, "template": {"spec": pod_spec([container("web", "registry.example.com/shop/web:2.4.1",
                                                                                      runAsNonRoot=True)])}}}
            add(second + 29, "update", "/apis/apps/v1/namespaces/shop/deployments/web?fieldManager=kubectl-client-side-apply",
                                               ALICE, "deployments", namespace="shop", name="web", group="apps",
                                               level="RequestResponse", request=deploy)
        # EKS control plane components.
        if minute % 10 == 5:
            add(second + 31, "list", "/api/v1/secrets?limit=500",
                                               {"username": "eks:addon-manager", "groups": ["system:authenticated"]}, "secrets",
                                               agent="eks-addon-manager/v0.0.0", ips=("10.0.12.34",))
    out.sort(key=lambda pair: pair[0])
    return [line for _, lines in out for line in lines]


def workloads():
    """Each risky pod variant (privileged, hostPID, hostNetwork, hostIPC, hostPath /), all in one
    namespace with one image so only the workload tells them apart, created directly by a person
    and by each controller from a template a person wrote: Deployment (its ReplicaSet and 2 pods),
    DaemonSet, Job, StatefulSet, bare ReplicaSet. Last, a CronJob logged at Metadata level whose
    Job (also Metadata) makes a pod: only the pod shows the risk, and names the CronJob's writer."""
    t0 = datetime.datetime(2026, 11, 21, 10, 0, 0, 200000)
    out = []
    clock = [0.0]
    def add(*args, **kwargs):
        clock[0] += 0.5
        out.extend(event(t0 + datetime.timedelta(seconds=clock[0]), *args, **kwargs))
    image = "registry.example.com/tools/debug:3.2"
    variants = [
        ("privileged", lambda: pod_spec([container("tool", image, privileged=True)])),
        ("hostpid", lambda: pod_spec([container("tool", image)], hostPID=True)),
        ("hostnetwork", lambda: pod_spec([container("tool", image)], hostNetwork=True)),
        ("hostipc", lambda: pod_spec([container("tool", image)], hostIPC=True)),
        ("hostpath", lambda: pod_spec([container("tool", image)], volumes=[{"name": "host", "hostPath": {"path": "/", "type": ""}}])),
    ]
    ns = "tools"
    kcm_agent = lambda name: f"kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:{name}"
    def pod(generate, spec, owner):
        return {"kind": "Pod", "apiVersion": "v1",
                "metadata": {"generateName": generate, "namespace": ns, "ownerReferences": owner}, "spec": spec}
    def workload(kind, name, spec, api="apps/v1", owner=None):
        meta = {"name": name, "namespace": ns}
        if owner:
            meta["ownerReferences"] = owner
        body = {"selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}
        return {"kind": kind, "apiVersion": api, "metadata": meta, "spec": body}
    def by_person(resource, kind, name, spec, group="apps"):
        add("create", f"/apis/{group}/v1/namespaces/{ns}/{resource}?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
            ALICE, resource, namespace=ns, name=name, group=group, code=201, level="RequestResponse",
            request=workload(kind, name, spec, api=f"{group}/v1"))
    def by_controller(controller, resource, body, group="", version="v1", name=None):
        path = f"/apis/{group}/{version}" if group else "/api/v1"
        add("create", f"{path}/namespaces/{ns}/{resource}", sa("kube-system", controller), resource, namespace=ns, name=name,
            group=group, version=version, code=201, level="RequestResponse", request=body, agent=kcm_agent(controller), ips=(NODE_IP,))
    for i, (variant, spec) in enumerate(variants):
        # Each variant two minutes after the last: past the 60 s fold window, so one person's six
        # workloads are never the engine's flood summary (a burst of 20 per window).
        clock[0] = max(clock[0], i * 120.0)
        # Created directly.
        add("create", f"/api/v1/namespaces/{ns}/pods?fieldManager=kubectl-client-side-apply&fieldValidation=Strict", ALICE, "pods",
            namespace=ns, name=f"{variant}-pod", code=201, level="RequestResponse",
            request={"kind": "Pod", "apiVersion": "v1", "metadata": {"name": f"{variant}-pod", "namespace": ns}, "spec": spec()})
        # Deployment -> ReplicaSet -> 2 pods.
        by_person("deployments", "Deployment", f"{variant}-deploy", spec())
        rs = f"{variant}-deploy-6b8f7c"
        by_controller("deployment-controller", "replicasets", workload("ReplicaSet", rs, spec(), owner=owned_by("Deployment", f"{variant}-deploy")),
                      group="apps", name=rs)
        for _ in range(2):
            by_controller("replicaset-controller", "pods", pod(f"{rs}-", spec(), owned_by("ReplicaSet", rs)))
        # DaemonSet, StatefulSet, bare ReplicaSet -> their pod.
        for resource, kind, controller in (("daemonsets", "DaemonSet", "daemon-set-controller"),
                                           ("statefulsets", "StatefulSet", "statefulset-controller"),
                                           ("replicasets", "ReplicaSet", "replicaset-controller")):
            name = f"{variant}-{kind.lower()}"
            by_person(resource, kind, name, spec())
            by_controller(controller, "pods", pod(f"{name}-", spec(), owned_by(kind, name)))
        # Job -> its pod.
        name = f"{variant}-job"
        by_person("jobs", "Job", name, spec(), group="batch")
        by_controller("job-controller", "pods", pod(f"{name}-", spec(), owned_by("Job", name, api="batch/v1")))
    # CronJob and its Job at Metadata level (no body): the pod alone shows the risk.
    clock[0] = len(variants) * 120.0
    add("create", f"/apis/batch/v1/namespaces/{ns}/cronjobs?fieldManager=kubectl-client-side-apply", ALICE, "cronjobs",
        namespace=ns, name="nightly", group="batch", code=201)
    job = {"kind": "Job", "apiVersion": "batch/v1", "metadata": {"name": "nightly-29400000", "namespace": ns,
                                                                  "ownerReferences": owned_by("CronJob", "nightly", api="batch/v1")}}
    by_controller("cronjob-controller", "jobs", job, group="batch", name="nightly-29400000")
    by_controller("job-controller", "pods", pod("nightly-29400000-", variants[0][1](), owned_by("Job", "nightly-29400000", api="batch/v1")))
    return out


def write(name, events):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        for e in events:
            f.write(json.dumps(e, separators=(",", ":")) + "\n")
    print(f"{path}: {len(events)} events, {os.path.getsize(path)} bytes")


os.makedirs(OUT, exist_ok=True)
write("attacks.jsonl", attacks())
write("benign.jsonl", benign())
write("workloads.jsonl", workloads())
