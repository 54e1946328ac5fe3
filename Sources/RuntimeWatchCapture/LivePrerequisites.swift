// SPDX-License-Identifier: Apache-2.0
// Can live capture run here? One sentence naming what is missing, so `runtime-watch` can refuse
// with a useful message before starting instead of failing deep inside capture.

import RuntimeWatchCore
import RuntimeWatchSystem

public enum LivePrerequisites {
    /// Capability bits (linux/capability.h).
    static let capNetAdmin = 12
    static let capSysPtrace = 19
    static let capDacReadSearch = 2

    /// Checks what live capture needs: a readable /proc, CAP_NET_ADMIN for the proc connector, and
    /// CAP_SYS_PTRACE to read other processes' exe, cwd and fds; then subscribes once to prove it.
    /// - Returns: nil when live capture can run, otherwise one sentence naming what is missing.
    public static func check(procRoot: String = "/proc") -> String? {
        let selfDir: ProcDirectory
        do {
            selfDir = try ProcDirectory.open("\(procRoot)/self")
        } catch {
            return "live capture needs a readable \(procRoot) (procfs mounted): \(error)"
        }
        defer { selfDir.close() }
        guard let contents = try? selfDir.read("status", limit: 16 * 1024) else {
            return "live capture needs to read \(procRoot)/self/status, which failed."
        }
        let status = ProcStatus.parse(String(decoding: contents.bytes, as: UTF8.self))
        return missing(capEff: status.capEff) ?? subscriptionProblem()
    }

    /// The sentence for a missing capability in `capEff`, or nil when all are present.
    public static func missing(capEff: UInt64?) -> String? {
        guard let capEff else {
            return "live capture cannot tell its capabilities: /proc/self/status has no CapEff line."
        }
        func has(_ bit: Int) -> Bool { capEff & (1 << UInt64(bit)) != 0 }
        if !has(capNetAdmin) {
            return "live capture needs CAP_NET_ADMIN to subscribe to the kernel's process events (run as root or grant the capability)."
        }
        if !has(capSysPtrace) {
            return "live capture needs CAP_SYS_PTRACE to read other processes' exe, cwd and file descriptors in /proc."
        }
        return nil
    }

    private static func subscriptionProblem() -> String? {
        do {
            let connector = try ProcConnector.open(receiveBuffer: 0, receiveTimeout: .milliseconds(1))
            try? connector.close()
            return nil
        } catch where error.errno == .protocolNotSupported {
            return "live capture needs the kernel's process connector (CONFIG_PROC_EVENTS), which this kernel lacks."
        } catch {
            return "live capture could not subscribe to the kernel's process events: \(error)."
        }
    }
}
