// SPDX-License-Identifier: Apache-2.0
// Kernel audit record text → the pid and argv of an execve. One exec produces several records
// sharing a serial ("audit(1700000000.123:42): ..."): SYSCALL carries pid= and syscall=, EXECVE
// carries argc= and a0..aN. Arguments are "quoted" when plain, HEX-encoded (unquoted) when they
// contain spaces, quotes, control or non-ASCII bytes, and split into aN[0], aN[1]… chunks (with
// aN_len=) when long (kernel/auditsc.c audit_log_execve_info).

public enum AuditExecveParser {
    /// The serial number from the "audit(seconds.millis:serial):" prefix.
    public static func serial(_ text: String) -> UInt64? {
        try? AuditRecordText.reading(text) { _, stamp, _ in stamp.serial }
    }

    // The record is split by `AuditRecordText`, the one splitter of audit record text; EXECVE's
    // arguments keep their quotes, which say how each is encoded.
    private static let syscallFields = AuditFieldSelection.only(["syscall", "success", "pid"])

    /// pid of a successful execve/execveat SYSCALL record (x86_64 numbers 59/322), else nil.
    public static func execPID(syscallRecord text: String) -> Int32? {
        guard let f = try? AuditRecordText(parsing: text, keeping: syscallFields).fields,
              let nr = f["syscall"], nr == "59" || nr == "322", f["success"] == "yes", let pid = f["pid"] else { return nil }
        return Int32(pid)
    }

    /// argv from an EXECVE record.
    /// - Throws: `ProcParseError` (file "audit EXECVE") when the stamp, argc or an argument is
    ///   missing or bad.
    public static func arguments(execveRecord text: String) throws(ProcParseError) -> [String] {
        func fail(_ reason: String) -> ProcParseError { ProcParseError(file: "audit EXECVE", reason: reason) }
        let f: [String: String]
        do { f = try AuditRecordText(parsing: text, keepingQuotes: true).fields } catch { throw fail(error.reason) }
        guard let argcText = f["argc"], let argc = Int(argcText), argc >= 0, argc <= 65_536 else { throw fail("no valid argc") }
        var argv: [String] = []
        argv.reserveCapacity(argc)
        for i in 0..<argc {
            if let value = f["a\(i)"] {
                argv.append(try decode(value, index: i))
            } else if f["a\(i)_len"] != nil {
                var joined = ""
                var chunk = 0
                while let part = f["a\(i)[\(chunk)]"] {
                    joined += try decode(part, index: i)
                    chunk += 1
                }
                guard chunk > 0 else { throw fail("a\(i) has a length but no chunks") }
                argv.append(joined)
            } else {
                throw fail("a\(i) missing (argc \(argc))")
            }
        }
        return argv
    }

    private static func decode(_ value: String, index: Int) throws(ProcParseError) -> String {
        if value.first == "\"" {
            guard value.utf8.count >= 2, value.last == "\"" else { throw ProcParseError(file: "audit EXECVE", reason: "a\(index) has an unterminated quote") }
            return String(value.dropFirst().dropLast())
        }
        guard let bytes = try? AuditHex.decode(value[...].utf8) else { throw ProcParseError(file: "audit EXECVE", reason: "a\(index) is neither quoted nor hex") }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Joins SYSCALL and EXECVE records of the same serial into (pid, argv). Bounded: keeps at most
/// `capacity` incomplete serials, forgetting the oldest. Not thread-safe.
public struct AuditExecveJoiner: Sendable {
    private var pids: [UInt64: Int32] = [:]
    private var argvs: [UInt64: [String]] = [:]
    /// Serials in arrival order from `orderHead` on; the consumed front is dropped in batches, so
    /// forgetting the oldest is not a shift of the whole array per record.
    private var order: [UInt64] = []
    private var orderHead = 0
    public let capacity: Int
    public init(capacity: Int = 4096) { self.capacity = capacity }

    /// Feeds one record. Returns (pid, argv) when this record completes an exec.
    public mutating func add(type: UInt16, text: String) -> (pid: Int32, argv: [String])? {
        guard let serial = AuditExecveParser.serial(text) else { return nil }
        switch type {
        case 1300:
            guard let pid = AuditExecveParser.execPID(syscallRecord: text) else { return nil }
            pids[serial] = pid
        case 1309:
            guard let argv = try? AuditExecveParser.arguments(execveRecord: text) else { return nil }
            argvs[serial] = argv
        default:
            return nil
        }
        if let pid = pids[serial], let argv = argvs[serial] {
            pids[serial] = nil
            argvs[serial] = nil
            return (pid, argv)
        }
        order.append(serial)
        if order.count - orderHead > capacity {
            let old = order[orderHead]
            orderHead += 1
            pids[old] = nil
            argvs[old] = nil
            if orderHead >= capacity {
                order.removeFirst(orderHead)
                orderHead = 0
            }
        }
        return nil
    }
}
