// SPDX-License-Identifier: Apache-2.0
// Writes the OCI config.json a test container runs with: shaped like what containerd's CRI plugin
// hands runc for a pod container (kubepods cgroupsPath, CRI annotations, serviceaccount-style binds),
// but with a busybox rootfs and a long-running init so tests can exec into it.

import Foundation

/// One bind mount from the host into the container.
struct BindMount {
    var hostPath: String
    var containerPath: String
    var readOnly: Bool = true
}

enum RuncSpec {
    /// Capabilities of a default containerd/docker container (so tests see a realistic set).
    static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// The config.json document for `container`, as JSON bytes.
    static func document(for c: RuncContainer.Configuration, id: String, podUID: String, cgroupsPath: String) throws -> Data {
        var mounts: [[String: Any]] = [
            ["destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]],
            ["destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]],
            ["destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]],
            ["destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]],
            ["destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]],
            ["destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777", "size=16m"]],
        ]
        var binds = c.binds
        if c.hostUsr {
            binds.insert(BindMount(hostPath: "/usr", containerPath: "/usr"), at: 0)
            for lib in BusyboxRootfs.hostLibraryDirectoriesNeedingBinds() {
                binds.insert(BindMount(hostPath: lib, containerPath: lib), at: 1)
            }
        }
        for bind in binds {
            mounts.append(["destination": bind.containerPath, "type": "bind", "source": bind.hostPath,
                           "options": ["rbind", "rprivate", bind.readOnly ? "ro" : "rw"]])
        }

        var namespaces: [[String: Any]] = [["type": "pid"], ["type": "ipc"], ["type": "uts"], ["type": "mount"]]
        if let netns = c.networkNamespacePath {
            namespaces.append(["type": "network", "path": netns])
        } else {
            namespaces.append(["type": "network"])
        }

        let spec: [String: Any] = [
            "ociVersion": "1.0.2-dev",
            "process": [
                "terminal": false,
                "user": ["uid": 0, "gid": 0],
                "args": c.args,
                "env": ["PATH=/bin:/usr/local/bin:/usr/bin:/sbin:/usr/sbin", "HOSTNAME=\(c.podName)"] + c.env,
                "cwd": "/",
                "capabilities": ["bounding": defaultCapabilities, "effective": defaultCapabilities, "permitted": defaultCapabilities],
                "rlimits": [["type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024]],
                "noNewPrivileges": true,
            ] as [String: Any],
            "root": ["path": "rootfs", "readonly": false],
            "hostname": c.podName,
            "mounts": mounts,
            "annotations": [
                "io.kubernetes.cri.container-type": "container",
                "io.kubernetes.cri.sandbox-name": c.podName,
                "io.kubernetes.cri.sandbox-namespace": c.namespace,
                "io.kubernetes.cri.sandbox-uid": podUID,
                "io.kubernetes.cri.container-name": c.containerName,
                "io.kubernetes.cri.image-name": c.image,
            ],
            "linux": [
                "cgroupsPath": cgroupsPath,
                "resources": ["devices": [["allow": false, "access": "rwm"]]],
                "namespaces": namespaces,
                "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                                "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
                "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
            ] as [String: Any],
        ]
        return try JSONSerialization.data(withJSONObject: spec, options: [.prettyPrinted, .sortedKeys])
    }
}
