// SPDX-License-Identifier: Apache-2.0
// The request side of netlink audit: read and change the enabled flag and backlog limit, add and
// delete the keyed connect() rule and the task exemption, list rules. Used by connect capture;
// never needs auditd.

internal import CShims
import SystemPackage
#if canImport(Glibc)
internal import Glibc
#endif

/// The audit settings capture reads and may change (subset of the kernel's `struct audit_status`).
public struct AuditStatus: Sendable, Hashable {
    /// 0 off, 1 on, 2 locked (immutable until reboot).
    public var enabled: UInt32
    public var failure: UInt32
    /// auditd's pid; 0 when no daemon is registered.
    public var daemonPID: UInt32
    public var backlogLimit: UInt32
    /// Records the kernel lost since boot (backlog overflow, rate limit).
    public var lost: UInt32
    public var backlog: UInt32
}

/// A NETLINK_AUDIT socket for requests. Not thread-safe: one owner sends and awaits each reply.
public final class AuditNetlinkControl {
    public let descriptor: FileDescriptor
    private var closed = false

    /// Opens the control socket. The corresponding C function is `socket(AF_NETLINK, …, NETLINK_AUDIT)`.
    public init() throws(SystemError) {
        descriptor = FileDescriptor(rawValue: try shimCall("audit_open_control") { rw_audit_open_control() })
    }

    deinit { close() }

    /// Closes the socket; idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        try? descriptor.close()
    }

    /// The kernel's current audit status (AUDIT_GET).
    public func status() throws(SystemError) -> AuditStatus {
        var raw = rw_audit_status()
        try shimCall("audit_get_status") { rw_audit_get_status(descriptor.rawValue, &raw) }
        return AuditStatus(enabled: raw.enabled, failure: raw.failure, daemonPID: raw.pid,
                           backlogLimit: raw.backlog_limit, lost: raw.lost, backlog: raw.backlog)
    }

    /// Sets the enabled flag (AUDIT_SET, AUDIT_STATUS_ENABLED). Throws EPERM when audit is locked.
    public func setEnabled(_ enabled: Bool) throws(SystemError) {
        try shimCall("audit_set_enabled") { rw_audit_set_enabled(descriptor.rawValue, enabled ? 1 : 0) }
    }

    /// Sets how many records the kernel queues before it throttles or drops (AUDIT_STATUS_BACKLOG_LIMIT).
    public func setBacklogLimit(_ limit: UInt32) throws(SystemError) {
        try shimCall("audit_set_backlog_limit") { rw_audit_set_backlog_limit(descriptor.rawValue, limit) }
    }

    /// Adds `-a exit,always -F arch=<native> -S connect -k <key>`.
    /// - Returns: false when the identical rule already existed (EEXIST), true when added.
    @discardableResult
    public func addConnectRule(key: String) throws(SystemError) -> Bool {
        try changeRule(add: true) { add in key.withCString { rw_audit_connect_rule(descriptor.rawValue, add, $0) } }
    }

    /// Deletes the rule `addConnectRule(key:)` adds.
    /// - Returns: false when no such rule existed (ENOENT), true when deleted.
    @discardableResult
    public func deleteConnectRule(key: String) throws(SystemError) -> Bool {
        try changeRule(add: false) { add in key.withCString { rw_audit_connect_rule(descriptor.rawValue, add, $0) } }
    }

    /// Adds `-a task,never -F pid=<pid>`: until it is deleted, the threads and children process
    /// `pid` creates get no audit context (none of their syscalls is audited or pays for audit).
    /// - Returns: false when the identical rule already existed (EEXIST), true when added.
    @discardableResult
    public func addTaskExemption(pid: Int32) throws(SystemError) -> Bool {
        try changeRule(add: true) { add in rw_audit_task_exemption(descriptor.rawValue, add, pid) }
    }

    /// Deletes the rule `addTaskExemption(pid:)` adds.
    /// - Returns: false when no such rule existed (ENOENT), true when deleted.
    @discardableResult
    public func deleteTaskExemption(pid: Int32) throws(SystemError) -> Bool {
        try changeRule(add: false) { add in rw_audit_task_exemption(descriptor.rawValue, add, pid) }
    }

    /// One rule added or deleted by `shim` (given 1 to add, 0 to delete).
    /// - Returns: false when the kernel found it so already (EEXIST on add, ENOENT on delete).
    private func changeRule(add: Bool, _ shim: (Int32) -> Int32) throws(SystemError) -> Bool {
        var already = false
        try shimCall(add ? "audit_add_rule" : "audit_del_rule") { () -> Int32 in
            let rc = shim(add ? 1 : 0)
            guard rc == (add ? -EEXIST : -ENOENT) else { return rc }
            already = true
            return 0
        }
        return !already
    }

    /// How many loaded rules carry `key` (AUDIT_LIST_RULES).
    public func countRules(key: String) throws(SystemError) -> Int {
        Int(try shimCall("audit_list_rules") { key.withCString { rw_audit_count_rules_with_key(descriptor.rawValue, $0) } })
    }

    /// The `arch=` value (lower-case hex) of this architecture's SYSCALL records, nil where the shim
    /// has no rule for it.
    public static var nativeArchHex: String? {
        let a = rw_audit_native_arch()
        return a >= 0 ? String(a, radix: 16) : nil
    }

    /// The connect(2) syscall number on this architecture, nil where the shim has no rule for it.
    public static var connectSyscallNumber: Int? {
        let n = rw_audit_connect_syscall_number()
        return n >= 0 ? Int(n) : nil
    }
}
