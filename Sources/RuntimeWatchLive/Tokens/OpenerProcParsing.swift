// SPDX-License-Identifier: Apache-2.0
// Pure parsers for the /proc files the token watcher reads while an opener is held: cmdline,
// status, cgroup and syscall. No I/O here, so every format quirk is testable without root.

import RuntimeWatchCore

/// How the held `open` asked for the file, decoded from /proc/<tid>/syscall.
public enum TokenOpenAccess: String, Sendable, Hashable {
    /// O_RDONLY.
    case readOnly
    /// O_WRONLY: the opener cannot read the content (a writer, e.g. a tool replacing the file).
    case writeOnly
    /// O_RDWR: can read, so it counts as a read.
    case readWrite
    /// execve/execveat opening the file to run it.
    case execute
    /// Not decodable (unknown syscall, compat task, io_uring worker, or the file was unreadable).
    case unknown

    /// True only when the opener cannot read the token. O_RDWR is a read: treating it as a write
    /// would let `open(token, O_RDWR)` slip past a detector that ignores writes.
    public var isWriteOnly: Bool { self == .writeOnly }
}

enum OpenerProcParsing {
    /// argv from /proc/<pid>/cmdline (NUL-separated, NUL-terminated). Empty for kernel threads
    /// and zombies. A cut final argument (the read hit its byte limit) is kept as read.
    static func argv(fromCmdline bytes: [UInt8]) -> [String] {
        var parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    /// The fields of /proc/<pid>/status the event needs.
    struct Status: Equatable {
        var name: String?
        var tgid: Int32?
        var ppid: Int32?
        var credentials: Credentials?
    }

    /// Parses /proc/<pid>/status. Fields that are missing or malformed stay nil. Only the six
    /// wanted lines are turned into strings: this runs while the opener is held.
    static func status(_ bytes: [UInt8]) -> Status {
        var result = Status()
        var uids: [UInt32]?
        var gids: [UInt32]?
        var capEff: UInt64?
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let key = StatusKey(line: line) else { continue }
            let value = String(decoding: line.dropFirst(key.rawValue.utf8.count), as: UTF8.self)
            let fields = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
            switch key {
            case .name: result.name = String(value.drop(while: { $0 == " " || $0 == "\t" }))
            case .tgid: result.tgid = fields.first.flatMap { Int32($0) }
            case .ppid: result.ppid = fields.first.flatMap { Int32($0) }
            case .uid: uids = fields.compactMap { UInt32($0) }
            case .gid: gids = fields.compactMap { UInt32($0) }
            case .capEff: capEff = fields.first.flatMap { UInt64($0, radix: 16) }
            }
        }
        if let uids, let gids, uids.count >= 2, gids.count >= 2 {
            result.credentials = Credentials(uid: uids[0], euid: uids[1], gid: gids[0], egid: gids[1], capEff: capEff)
        }
        return result
    }

    private enum StatusKey: String, CaseIterable {
        case name = "Name:", tgid = "Tgid:", ppid = "PPid:", uid = "Uid:", gid = "Gid:", capEff = "CapEff:"

        init?(line: ArraySlice<UInt8>) {
            guard let first = line.first, first == UInt8(ascii: "N") || first == UInt8(ascii: "T") || first == UInt8(ascii: "P")
                    || first == UInt8(ascii: "U") || first == UInt8(ascii: "G") || first == UInt8(ascii: "C") else { return nil }
            guard let key = Self.allCases.first(where: { line.starts(with: $0.rawValue.utf8) }) else { return nil }
            self = key
        }
    }

    /// Picks the cgroup path that names the process's container from /proc/<pid>/cgroup: the first
    /// line whose path `CgroupParser` recognises, else the cgroup v2 (`0::`) path, else the first
    /// path; "/" when the file holds none.
    static func cgroup(_ bytes: [UInt8]) -> String {
        var unified: String?
        var first: String?
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: ":"), maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(decoding: fields[2], as: UTF8.self)
            // Container ids are 64 hex characters: shorter paths cannot name a container.
            if fields[2].count >= 64, CgroupParser.parse(path) != nil { return path }
            if fields[0].elementsEqual("0".utf8), fields[1].isEmpty { unified = path }
            if first == nil { first = path }
        }
        return unified ?? first ?? "/"
    }

    /// A decoded /proc/<tid>/syscall line: "nr arg0 … arg5 sp pc" while the task is blocked in a
    /// syscall, "-1 sp pc" when blocked outside one, "running" otherwise.
    struct Syscall: Equatable {
        var number: Int64
        var arguments: [UInt64]
    }

    static func syscall(_ bytes: [UInt8]) -> Syscall? {
        let fields = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count >= 7, let number = Int64(fields[0]), number >= 0 else { return nil }
        var arguments: [UInt64] = []
        for field in fields[1...6] {
            guard field.hasPrefix("0x"), let value = UInt64(field.dropFirst(2), radix: 16) else { return nil }
            arguments.append(value)
        }
        return Syscall(number: number, arguments: arguments)
    }

    /// Where the open flags of a held open syscall are, for this architecture's syscall numbers.
    enum FlagsSource: Equatable {
        /// The flags are this argument.
        case argument(Int)
        /// The flags are the first u64 of the `struct open_how` this argument points to (openat2).
        case openHowPointer(Int)
        /// creat(2): always O_WRONLY|O_CREAT|O_TRUNC.
        case creat
        /// An exec opening the file.
        case exec
    }

    static func flagsSource(syscallNumber: Int64) -> FlagsSource? {
        #if arch(x86_64)
        switch syscallNumber {
        case 2: return .argument(1)            // open(path, flags, mode)
        case 85: return .creat                  // creat(path, mode)
        case 257: return .argument(2)           // openat(dirfd, path, flags, mode)
        case 304: return .argument(2)           // open_by_handle_at(mount_fd, handle, flags)
        case 437: return .openHowPointer(2)     // openat2(dirfd, path, how, size)
        case 59, 322: return .exec              // execve, execveat
        default: return nil
        }
        #elseif arch(arm64)
        switch syscallNumber {
        case 56: return .argument(2)            // openat
        case 265: return .argument(2)           // open_by_handle_at
        case 437: return .openHowPointer(2)     // openat2
        case 221, 281: return .exec             // execve, execveat
        default: return nil
        }
        #else
        return nil
        #endif
    }

    /// O_ACCMODE of open flags → access.
    static func access(openFlags: UInt64) -> TokenOpenAccess {
        switch openFlags & 3 {
        case 0: .readOnly
        case 1: .writeOnly
        case 2: .readWrite
        default: .unknown
        }
    }
}

