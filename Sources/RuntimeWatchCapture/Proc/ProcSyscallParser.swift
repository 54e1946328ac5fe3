// SPDX-License-Identifier: Apache-2.0
// /proc/<tid>/syscall of a task blocked in a syscall, and how an open-like syscall asked for its
// file (O_ACCMODE of its flags). Pure: the reader does the I/O (including the /proc/<tid>/mem read
// that openat2's `struct open_how` needs).

/// How an open asked for the file, decoded from the held syscall.
public enum OpenAccess: String, Sendable, Hashable {
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

    /// O_ACCMODE of open flags.
    public init(openFlags: UInt64) {
        switch openFlags & 3 {
        case 0: self = .readOnly
        case 1: self = .writeOnly
        case 2: self = .readWrite
        default: self = .unknown
        }
    }

    /// True only when the opener cannot read the file. O_RDWR is a read: treating it as a write
    /// would let `open(token, O_RDWR)` slip past a detector that ignores writes.
    public var isWriteOnly: Bool { self == .writeOnly }
}

/// A decoded /proc/<tid>/syscall line: "nr arg0 … arg5 sp pc" while the task is blocked in a
/// syscall, "-1 sp pc" when blocked outside one, "running" otherwise.
public struct ProcSyscall: Sendable, Hashable {
    public var number: Int64
    /// The six argument registers.
    public var arguments: [UInt64]

    /// Parses the line; nil unless the task is blocked in a syscall and all six arguments are hex.
    public static func parse(utf8 bytes: [UInt8]) -> ProcSyscall? {
        // Read on every token open: fields walked in place; the kernel's forms (decimal number,
        // `0x` and lowercase hex) are converted from bytes, anything else the way String would.
        var fields: [Range<Int>] = []
        var i = 0
        while fields.count < 7 && i < bytes.count {
            while i < bytes.count && isSeparator(bytes[i]) { i += 1 }
            let start = i
            while i < bytes.count && !isSeparator(bytes[i]) { i += 1 }
            if i > start { fields.append(start..<i) }
        }
        guard fields.count == 7, let number = decimal(bytes[fields[0]]), number >= 0 else { return nil }
        var arguments: [UInt64] = []
        arguments.reserveCapacity(6)
        for field in fields[1...6] {
            let digits = bytes[field]
            guard digits.starts(with: "0x".utf8), let value = hexadecimal(digits.dropFirst(2)) else { return nil }
            arguments.append(value)
        }
        return ProcSyscall(number: number, arguments: arguments)
    }

    private static func isSeparator(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\n") }

    /// Int64 of ASCII decimal digits (up to 18, no overflow possible); any other text as `Int64(String)`.
    private static func decimal(_ text: ArraySlice<UInt8>) -> Int64? {
        guard !text.isEmpty, text.count <= 18, text.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return Int64(String(decoding: text, as: UTF8.self))
        }
        return text.reduce(0) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }
    }

    /// UInt64 of lowercase hex digits (up to 16); any other text as `UInt64(String, radix: 16)`.
    private static func hexadecimal(_ text: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        guard !text.isEmpty, text.count <= 16 else { return UInt64(String(decoding: text, as: UTF8.self), radix: 16) }
        for b in text {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt64(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt64(b - UInt8(ascii: "a") + 10)
            default: return UInt64(String(decoding: text, as: UTF8.self), radix: 16)
            }
        }
        return value
    }

    public var openFlagsSource: OpenFlagsSource? { OpenFlagsSource(syscallNumber: number) }
}

/// Where the open flags of a held open-like syscall are.
public enum OpenFlagsSource: Sendable, Hashable {
    /// The flags are this argument.
    case argument(Int)
    /// The flags are the first u64 of the `struct open_how` this argument points to (openat2).
    case openHowPointer(Int)
    /// creat(2): always O_WRONLY|O_CREAT|O_TRUNC.
    case creat
    /// An exec opening the file.
    case exec

    public init?(syscallNumber: Int64) {
        #if arch(x86_64)
        switch syscallNumber {
        case 2: self = .argument(1)             // open(path, flags, mode)
        case 85: self = .creat                  // creat(path, mode)
        case 257: self = .argument(2)           // openat(dirfd, path, flags, mode)
        case 304: self = .argument(2)           // open_by_handle_at(mount_fd, handle, flags)
        case 437: self = .openHowPointer(2)     // openat2(dirfd, path, how, size)
        case 59, 322: self = .exec              // execve, execveat
        default: return nil
        }
        #elseif arch(arm64)
        switch syscallNumber {
        case 56: self = .argument(2)            // openat
        case 265: self = .argument(2)           // open_by_handle_at
        case 437: self = .openHowPointer(2)     // openat2
        case 221, 281: self = .exec             // execve, execveat
        default: return nil
        }
        #else
        return nil
        #endif
    }
}
