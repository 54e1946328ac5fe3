// SPDX-License-Identifier: Apache-2.0
// `runtime-watch hardening`, and the deployment files checked against it: the Kubernetes manifests
// (parsed with python3's yaml, since kubectl is not available here: kinds, capabilities, probes,
// read-only host mounts, the ConfigMap's profile) and the systemd unit (`systemd-analyze verify`).

import Foundation
import XCTest

final class HardeningDeployTests: CLITestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func repositoryPath(_ relative: String) -> String { repositoryRoot.appendingPathComponent(relative).path }

    /// The capability names listed under the `hardening` output section whose header starts with `header`.
    private func section(_ output: String, _ header: String) -> [String] {
        var inSection = false, names: [String] = []
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") { inSection = line.hasPrefix(header); continue }
            if inSection, line.hasPrefix("  CAP_"), let colon = line.firstIndex(of: ":") {
                names.append(line[line.index(line.startIndex, offsetBy: 2)..<colon].trimmingCharacters(in: .whitespaces))
            }
        }
        return names
    }

    private func startupCapabilities() throws -> [String] {
        let result = try AssertExecuteCommand(["hardening"])
        let names = section(result.stdout, "capabilities needed at start-up")
        XCTAssertFalse(names.isEmpty, result.stdout)
        return names
    }

    func testHardeningPrintsKeptCapabilitiesByNameAndTheAllowedSyscalls() throws {
        let result = try AssertExecuteCommand(["hardening"])
        XCTAssertEqual(section(result.stdout, "capabilities kept after start-up"), ["CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE", "CAP_AUDIT_CONTROL"], result.stdout)
        XCTAssertTrue(result.stdout.contains("capabilities dropped ("), result.stdout)
        XCTAssertTrue(result.stdout.contains("CAP_SYS_ADMIN"), "SYS_ADMIN is listed as dropped:\n\(result.stdout)")
        // The syscall lists are the lines indented by four spaces under each group.
        let syscalls = Set(result.stdout.split(separator: "\n").filter { $0.hasPrefix("    ") }
            .flatMap { $0.split(separator: " ").map(String.init) })
        XCTAssertGreaterThan(syscalls.count, 50, result.stdout)
        for needed in ["fanotify_mark", "recvmsg", "epoll_pwait", "futex", "openat", "rt_sigreturn"] {
            XCTAssertTrue(syscalls.contains(needed), "\(needed) not listed:\n\(result.stdout)")
        }
        for refused in ["execve", "ptrace", "unshare", "mount", "capset"] {
            XCTAssertFalse(syscalls.contains(refused), "\(refused) must not be allowed:\n\(result.stdout)")
        }
        let withoutConnects = try AssertExecuteCommand(["hardening", "--no-connect-watch"])
        XCTAssertEqual(section(withoutConnects.stdout, "capabilities kept after start-up"), ["CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE"])
    }

    func testRunDocumentsTheHardeningOptions() throws {
        let result = try AssertExecuteCommand(["run", "--help"])
        for option in ["--no-harden", "--seccomp-action"] {
            XCTAssertTrue(result.stdout.contains(option), "run --help lacks \(option):\n\(result.stdout)")
        }
        let bad = try execute(["run", "--seccomp-action", "ignore", "--duration", "1"])
        XCTAssertNotEqual(bad.exitCode, 0, "an unknown --seccomp-action is refused")
    }

    /// Every manifest document as JSON (python3 -c yaml.safe_load_all → json.dumps).
    private func manifests() throws -> [[String: Any]] {
        let directory = Self.repositoryPath("deploy/kubernetes")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertEqual(files, ["configmap.yaml", "daemonset.yaml", "namespace.yaml", "serviceaccount.yaml"])
        let script = "import json,sys,yaml\nprint(json.dumps([d for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d is not None]))"
        let result = try Subprocess.run("/usr/bin/python3", ["-c", script] + files.map { directory + "/" + $0 })
        guard result.exitCode == 0 else {
            if result.stderr.contains("No module named 'yaml'") { throw XCTSkip("python3-yaml is not installed (scripts/setup-debian.sh installs it)") }
            XCTFail("manifests do not parse: \(result.stderr)")
            return []
        }
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    }

    func testKubernetesManifestsMatchWhatTheCodeNeeds() throws {
        let documents = try manifests()
        XCTAssertEqual(Set(documents.compactMap { $0["kind"] as? String }), ["Namespace", "ServiceAccount", "ConfigMap", "DaemonSet"])
        for document in documents {
            let metadata = document["metadata"] as? [String: Any]
            XCTAssertNotNil(document["apiVersion"] as? String, "\(document)")
            XCTAssertNotNil(metadata?["name"] as? String, "\(document)")
        }
        let daemonSet = try XCTUnwrap(documents.first { $0["kind"] as? String == "DaemonSet" })
        let template = try XCTUnwrap((daemonSet["spec"] as? [String: Any])?["template"] as? [String: Any])
        let podSpec = try XCTUnwrap(template["spec"] as? [String: Any])
        XCTAssertEqual(podSpec["hostPID"] as? Bool, true)
        XCTAssertEqual(podSpec["hostNetwork"] as? Bool, true, "proc connector and audit multicast work only in the initial netns")
        let annotations = try XCTUnwrap((template["metadata"] as? [String: Any])?["annotations"] as? [String: String])
        XCTAssertEqual(annotations["prometheus.io/scrape"], "true")

        let container = try XCTUnwrap((podSpec["containers"] as? [[String: Any]])?.first)
        let security = try XCTUnwrap(container["securityContext"] as? [String: Any])
        XCTAssertEqual(security["privileged"] as? Bool, false)
        let capabilities = try XCTUnwrap(security["capabilities"] as? [String: Any])
        XCTAssertEqual(capabilities["drop"] as? [String], ["ALL"])
        let added = try XCTUnwrap(capabilities["add"] as? [String])
        XCTAssertEqual(Set(added.map { "CAP_" + $0 }), Set(try startupCapabilities()), "capabilities.add equals `runtime-watch hardening`'s start-up list")

        // Probes hit /healthz on the port the monitor listens on.
        let args = try XCTUnwrap(container["args"] as? [String])
        let listen = try XCTUnwrap(args.first { $0.hasPrefix("--listen=") })
        let port = try XCTUnwrap(Int(listen.split(separator: ":").last ?? ""))
        for probe in ["livenessProbe", "readinessProbe"] {
            let get = try XCTUnwrap((container[probe] as? [String: Any])?["httpGet"] as? [String: Any], probe)
            XCTAssertEqual(get["path"] as? String, "/healthz", probe)
            XCTAssertEqual(get["port"] as? Int, port, probe)
        }
        XCTAssertEqual(annotations["prometheus.io/port"], String(port))
        let resources = try XCTUnwrap(container["resources"] as? [String: Any])
        XCTAssertNotNil(resources["requests"]); XCTAssertNotNil(resources["limits"])

        // Every host mount is read-only; the profile comes from the ConfigMap.
        let mounts = try XCTUnwrap(container["volumeMounts"] as? [[String: Any]])
        let volumes = try XCTUnwrap(podSpec["volumes"] as? [[String: Any]])
        let hostVolumes = Set(volumes.filter { $0["hostPath"] != nil }.compactMap { $0["name"] as? String })
        XCTAssertFalse(hostVolumes.isEmpty)
        for mount in mounts {
            XCTAssertEqual(mount["readOnly"] as? Bool, true, "\(mount)")
        }
        XCTAssertEqual(Set(mounts.compactMap { $0["name"] as? String }).subtracting(["profile"]), hostVolumes)
        let hostPaths = Set(volumes.compactMap { ($0["hostPath"] as? [String: Any])?["path"] as? String })
        XCTAssertTrue(hostPaths.isSuperset(of: ["/var/lib/kubelet/pods", "/run/containerd", "/run/containers/storage", "/run/runc"]), "\(hostPaths)")
        XCTAssertTrue(args.contains("--profile=/etc/runtime-watch/profile.yaml"))

        let configMap = try XCTUnwrap(documents.first { $0["kind"] as? String == "ConfigMap" })
        let profile = try XCTUnwrap((configMap["data"] as? [String: String])?["profile.yaml"])
        XCTAssertEqual(profile, try String(contentsOfFile: Self.repositoryPath("profiles/default.yaml"), encoding: .utf8),
                       "the ConfigMap carries profiles/default.yaml unchanged")
        let checked = try execute(["profile", "check", try write("configmap-profile.yaml", profile)])
        XCTAssertEqual(checked.exitCode, 0, "the ConfigMap's profile passes `profile check`: \(checked.stdout)\(checked.stderr)")
    }

    func testSystemdUnitVerifiesAndBoundsCapabilitiesToTheStartupList() throws {
        let unit = try String(contentsOfFile: Self.repositoryPath("deploy/runtime-watch.service"), encoding: .utf8)
        let settings = unit.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains("=") }
        func value(_ key: String) -> String? {
            settings.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }
        XCTAssertEqual(Set((value("CapabilityBoundingSet") ?? "").split(separator: " ").map(String.init)), Set(try startupCapabilities()))
        XCTAssertEqual(value("NoNewPrivileges"), "yes")
        XCTAssertEqual(value("ProtectSystem"), "strict")
        XCTAssertEqual(value("RestrictAddressFamilies"), "AF_NETLINK AF_INET AF_INET6 AF_UNIX")
        XCTAssertEqual(value("SystemCallArchitectures"), "native")
        XCTAssertTrue(value("ExecStart")?.hasPrefix("/usr/local/bin/runtime-watch run") ?? false)

        let analyze = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: analyze) else {
            throw XCTSkip("systemd-analyze not installed (Debian package systemd): unit checked by the assertions above only")
        }
        // Verify a copy whose ExecStart is the binary under test (the installed path does not exist here).
        let copy = try write("runtime-watch.service", unit.replacingOccurrences(of: "/usr/local/bin/runtime-watch", with: binary))
        let result = try Subprocess.run(analyze, ["verify", copy])
        XCTAssertEqual(result.exitCode, 0, "systemd-analyze verify: \(result.stdout)\(result.stderr)")
        XCTAssertEqual(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines), "", "warnings from systemd-analyze verify")
    }
}
