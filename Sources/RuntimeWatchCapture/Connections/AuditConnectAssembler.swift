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
    /// `comm=` and `exe=` of the SYSCALL record (the caller's, at the connect) when the kernel
    /// wrote them as plain quoted text; nil when it hex-encoded them (spaces, quotes, control or
    /// non-ASCII bytes) or had none.
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
    /// Bytes of `key`, and of `connect`'s arch and syscall, as a SYSCALL record's fields are compared.
    private let keyBytes: [UInt8]
    private let connectBytes: (arch: [UInt8], syscall: [UInt8])?

    private struct Partial: Sendable {
        var timestamp: UInt64
        var syscall: SyscallFields
        var sockaddr: String?
    }

    /// What `isOurs` and `finish` read from a SYSCALL record, taken as the record is walked: ten
    /// of its 26 fields, the first of each name. Not a dictionary: hashing ten names into one and
    /// looking six up again was most of the record's decoding in a connect storm.
    struct SyscallFields: Sendable {
        /// Whether `key=`, `arch=` and `syscall=` named ours; nil until the field is seen.
        var keyMatches: Bool?, archMatches: Bool?, syscallMatches: Bool?
        var pid: String?, ppid: String?, success: String?, exit: String?, a0: String?
        /// `comm=` and `exe=` when quoted (plain text); nil when hex-encoded or `(null)`.
        var comm: String?, exe: String?
        private var commSeen = false, exeSeen = false

        init(_ fields: UnsafeBufferPointer<UInt8>.SubSequence, key: [UInt8], connect: (arch: [UInt8], syscall: [UInt8])?) {
            AuditRecordText.forEachField(fields) { name, value in
                func take(_ field: inout String?) { if field == nil { field = String(decoding: value, as: UTF8.self) } }
                // The kernel quotes a plain string and writes any other (spaces, quotes, control or
                // non-ASCII bytes) as bare hex, and `(null)` for none: only a quoted one is the text.
                func takeQuoted(_ field: inout String?, seen: inout Bool) {
                    guard !seen else { return }
                    seen = true
                    if value.startIndex > fields.startIndex, fields[value.startIndex - 1] == 0x22 { field = String(decoding: value, as: UTF8.self) }
                }
                func match(_ field: inout Bool?, _ expected: [UInt8]?) {
                    if field == nil { field = expected.map { $0.count == value.count && $0.elementsEqual(value) } ?? false }
                }
                switch Name(name) {
                case .key: match(&keyMatches, key)
                case .arch: match(&archMatches, connect?.arch)
                case .syscall: match(&syscallMatches, connect?.syscall)
                case .pid: take(&pid)
                case .ppid: take(&ppid)
                case .success: take(&success)
                case .exit: take(&exit)
                case .a0: take(&a0)
                case .comm: takeQuoted(&comm, seen: &commSeen)
                case .exe: takeQuoted(&exe, seen: &exeSeen)
                case nil: break
                }
            }
        }

        /// The names read, each as its bytes packed big-endian into an integer (a record's other 16
        /// names are told apart from these by one comparison each, not a byte-by-byte one).
        enum Name: UInt64, CaseIterable {
            case key = 0x6B_65_79, arch = 0x61_72_63_68, syscall = 0x73_79_73_63_61_6C_6C, pid = 0x70_69_64
            case ppid = 0x70_70_69_64, success = 0x73_75_63_63_65_73_73, exit = 0x65_78_69_74, a0 = 0x61_30
            case comm = 0x63_6F_6D_6D, exe = 0x65_78_65

            /// nil for any other name (all of ours are 2-7 bytes).
            init?(_ bytes: UnsafeBufferPointer<UInt8>.SubSequence) {
                guard bytes.count >= 2, bytes.count <= 7 else { return nil }
                var packed: UInt64 = 0
                for byte in bytes { packed = packed << 8 | UInt64(byte) }
                self.init(rawValue: packed)
            }
        }

        /// SYSCALL records with our key, or of the connect we follow whatever their key.
        var isOurs: Bool { keyMatches == true || (archMatches == true && syscallMatches == true) }
    }

    /// What one record did: the serial of its stamp (every record's, for the gap tracker), and the
    /// observation when it completed one of our connect events, or why that event was dropped.
    public struct Step: Sendable {
        public var serial: UInt64
        public var observation: AuditConnectObservation?
        /// The event this record closed was malformed (no numeric pid, no result, a bad address):
        /// it is dropped, nothing else. The serial still counts as seen.
        public var error: AuditRecordError?
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
        keyBytes = Array(key.utf8)
        connectBytes = connect.map { (Array($0.arch.utf8), Array($0.syscall.utf8)) }
    }

    /// The SOCKADDR's address; an EOE gives only its stamp, which carries the serial.
    static let sockaddrFields = AuditFieldSelection.only(["saddr"])

    /// Number of events opened but not yet closed.
    public var pendingCount: Int { pending.count }

    /// Consumes one record. Its stamp is read once, here, for every record type: the caller's
    /// serial gap tracker and the assembly share it.
    /// - Returns: the record's serial, and the observation when it completed one of our connect
    ///   events (or the error that dropped that event).
    /// - Throws: `AuditRecordError` for a record whose stamp is malformed (it has no serial).
    public mutating func consume(type: UInt16, text: String) throws(AuditRecordError) -> Step {
        let (keyBytes, connectBytes) = (keyBytes, connectBytes)
        let (stamp, read) = try AuditRecordText.reading(text) { bytes, stamp, fieldsStart -> (AuditStamp, Read) in
            switch type {
            case AuditRecordType.syscall:
                return (stamp, .syscall(SyscallFields(bytes[fieldsStart...], key: keyBytes, connect: connectBytes)))
            case AuditRecordType.sockaddr:
                return (stamp, .sockaddr(AuditRecordText.fields(bytes[fieldsStart...], keeping: Self.sockaddrFields)["saddr"]))
            case AuditRecordType.endOfEvent:
                return (stamp, .endOfEvent)
            default:
                return (stamp, .other)
            }
        }
        switch read {
        case .syscall(let fields):
            guard fields.isOurs else { break }
            if pending.count >= maxPending, let oldest = pending.keys.min() {
                pending.removeValue(forKey: oldest)
                counters.evicted += 1
            }
            pending[stamp.serial] = Partial(timestamp: stamp.timestampNanoseconds, syscall: fields)
        case .sockaddr(let saddr):
            guard pending[stamp.serial] != nil else { break }
            pending[stamp.serial]?.sockaddr = saddr
        case .endOfEvent:
            guard let partial = pending.removeValue(forKey: stamp.serial) else { break }
            do throws(AuditRecordError) {
                return Step(serial: stamp.serial, observation: try finish(partial, serial: stamp.serial, text: text))
            } catch {
                return Step(serial: stamp.serial, error: error)
            }
        case .other:
            break
        }
        return Step(serial: stamp.serial, observation: nil)
    }

    /// One record by its type, with what the walk of its fields kept (an EOE's and any other
    /// type's stamp alone).
    private enum Read {
        case syscall(SyscallFields)
        case sockaddr(String?)
        case endOfEvent
        case other
    }

    private mutating func finish(_ partial: Partial, serial: UInt64, text: String) throws(AuditRecordError) -> AuditConnectObservation? {
        guard let saddr = partial.sockaddr else {
            counters.withoutAddress += 1
            return nil
        }
        let fields = partial.syscall
        guard let pidText = fields.pid, let pid = Int32(pidText) else {
            throw AuditRecordError(reason: "SYSCALL record of serial \(serial) has no numeric pid", text: text)
        }
        let result: Int32
        if fields.success == "yes" {
            result = 0
        } else if let exit = fields.exit.flatMap({ Int32($0) }), exit < 0 {
            result = -exit
        } else {
            throw AuditRecordError(reason: "SYSCALL record of serial \(serial) has success=\(fields.success ?? "nil") exit=\(fields.exit ?? "nil")", text: text)
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
                parentPID: fields.ppid.flatMap { Int32($0) },
                descriptor: fields.a0.flatMap { Int32($0, radix: 16) },
                result: result, address: address, port: port, family: family,
                command: fields.comm, executable: fields.exe)
        }
    }
}
