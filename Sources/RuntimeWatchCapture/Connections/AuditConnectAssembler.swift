// SPDX-License-Identifier: Apache-2.0
// Pure assembly of audit records into connect() observations: records of one event share a serial;
// SYSCALL (with our key, or any connect of this architecture) opens it, SOCKADDR adds the
// destination, EOE closes it. Bounded.

/// One connect(2) the kernel audited, before it becomes a Core event.
public struct AuditConnectObservation: Sendable, Hashable {
    public var timestampNanoseconds: UInt64
    public var serial: UInt64
    /// Thread-group id of the caller (the record's `pid=`).
    public var pid: Int32
    public var parentPID: Int32?
    /// The socket descriptor (`a0=`, hex in the record).
    public var descriptor: Int32?
    /// 0 on success, else the positive errno (115 EINPROGRESS, 111 ECONNREFUSED, …).
    public var result: Int32
    public var address: String
    public var port: UInt16
    /// AF_INET (2) or AF_INET6 (10).
    public var family: Int
    public var command: String?
    public var executable: String?
}

/// Feeds records in arrival order; returns an observation when an event of ours completes.
public struct AuditConnectAssembler: Sendable {
    /// Counters of what did not become an observation, for statistics and drop reporting.
    public struct Counters: Sendable, Hashable {
        /// AF_UNIX, AF_NETLINK and other non-inet destinations.
        public var nonInet: UInt64 = 0
        /// AF_UNSPEC (datagram disconnect).
        public var unspecified: UInt64 = 0
        /// Events that ended without a SOCKADDR record (e.g. EFAULT before the address was copied).
        public var withoutAddress: UInt64 = 0
        /// Open events evicted because more than `maxPending` were open (their EOE never came).
        public var evicted: UInt64 = 0
    }

    public let key: String
    /// The `arch=` and `syscall=` of a native connect(2), when any rule's record of one is followed.
    public let connect: (arch: String, syscall: String)?
    public let maxPending: Int
    public private(set) var counters = Counters()
    private var pending: [UInt64: Partial] = [:]

    private struct Partial: Sendable {
        var timestamp: UInt64
        var syscall: [String: String]
        var sockaddr: String?
    }

    /// - Parameters:
    ///   - key: SYSCALL records with `key="<key>"` are followed.
    ///   - connect: also follow SYSCALL records of this arch and syscall number whatever their key.
    ///     The kernel names a record after the FIRST rule that matched, so when another tool's rule
    ///     on connect (auditd's `-S connect -k net`) precedes ours, our key never appears.
    ///   - maxPending: most events open at once; beyond it the oldest serial is evicted and counted.
    public init(key: String, connect: (arch: String, syscall: String)? = nil, maxPending: Int = 1024) {
        self.key = key
        self.connect = connect
        self.maxPending = max(1, maxPending)
    }

    private func isOurs(_ fields: [String: String]) -> Bool {
        if fields["key"] == key { return true }
        guard let connect else { return false }
        return fields["arch"] == connect.arch && fields["syscall"] == connect.syscall
    }

    /// The fields `isOurs` and `finish` read from a SYSCALL record, the SOCKADDR's address, and
    /// nothing from EOE (its stamp carries the serial).
    static let syscallFields = AuditFieldSelection.only(["key", "arch", "syscall", "pid", "ppid", "success", "exit", "a0", "comm", "exe"])
    static let sockaddrFields = AuditFieldSelection.only(["saddr"])
    static let stampOnly = AuditFieldSelection.only([])

    /// Number of events opened but not yet closed.
    public var pendingCount: Int { pending.count }

    /// Consumes one record.
    /// - Returns: the observation when this record completed one of our connect events, else nil.
    /// - Throws: `AuditRecordError` for a malformed record of ours (the event is dropped, nothing else).
    public mutating func consume(type: UInt16, text: String) throws(AuditRecordError) -> AuditConnectObservation? {
        switch type {
        case AuditRecordType.syscall:
            let record = try AuditRecordText(parsing: text, keeping: Self.syscallFields)
            guard isOurs(record.fields) else { return nil }
            if pending.count >= maxPending, let oldest = pending.keys.min() {
                pending.removeValue(forKey: oldest)
                counters.evicted += 1
            }
            pending[record.serial] = Partial(timestamp: record.timestampNanoseconds, syscall: record.fields)
            return nil
        case AuditRecordType.sockaddr:
            let record = try AuditRecordText(parsing: text, keeping: Self.sockaddrFields)
            guard pending[record.serial] != nil else { return nil }
            pending[record.serial]?.sockaddr = record.fields["saddr"]
            return nil
        case AuditRecordType.endOfEvent:
            let record = try AuditRecordText(parsing: text, keeping: Self.stampOnly)
            guard let partial = pending.removeValue(forKey: record.serial) else { return nil }
            return try finish(partial, serial: record.serial, text: text)
        default:
            return nil
        }
    }

    private mutating func finish(_ partial: Partial, serial: UInt64, text: String) throws(AuditRecordError) -> AuditConnectObservation? {
        guard let saddr = partial.sockaddr else {
            counters.withoutAddress += 1
            return nil
        }
        let fields = partial.syscall
        guard let pidText = fields["pid"], let pid = Int32(pidText) else {
            throw AuditRecordError(reason: "SYSCALL record of serial \(serial) has no numeric pid", text: text)
        }
        let result: Int32
        if fields["success"] == "yes" {
            result = 0
        } else if let exit = fields["exit"].flatMap({ Int32($0) }), exit < 0 {
            result = -exit
        } else {
            throw AuditRecordError(reason: "SYSCALL record of serial \(serial) has success=\(fields["success"] ?? "nil") exit=\(fields["exit"] ?? "nil")", text: text)
        }
        switch try SocketAddressHex.decode(saddr) {
        case .unspecified:
            counters.unspecified += 1
            return nil
        case .other:
            counters.nonInet += 1
            return nil
        case .inet(let family, let address, let port):
            return AuditConnectObservation(
                timestampNanoseconds: partial.timestamp, serial: serial, pid: pid,
                parentPID: fields["ppid"].flatMap { Int32($0) },
                descriptor: fields["a0"].flatMap { Int32($0, radix: 16) },
                result: result, address: address, port: port, family: family,
                command: fields["comm"], executable: fields["exe"])
        }
    }
}
