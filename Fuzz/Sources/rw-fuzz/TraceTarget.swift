// SPDX-License-Identifier: Apache-2.0
// A recorded trace, read as `replay` reads it: header, then every line through the byte-level decoder
// (and the JSONDecoder fallback it uses for what it does not know), malformed lines reported and skipped.

import Foundation
import RuntimeWatchCore

enum TraceTarget {
    static func run(_ bytes: [UInt8]) {
        // A pipe holds the input (libFuzzer's inputs are at most -max_len, well under its 64 KiB).
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { fatalError("pipe: \(errno)") }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fds[1], raw.baseAddress! + offset, raw.count - offset)
                guard n > 0 else { fatalError("write to the input pipe: \(errno)") }
                offset += n
            }
        }
        close(fds[1])
        let handle = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        let reader = TraceReader(fileHandle: handle, name: "fuzz", onIssue: { _ in })
        do {
            _ = try reader.readHeader()
            while try reader.next() != nil {}
        } catch {
            _ = "\(error)"   // the error's text is built too: it is what users read
        }
    }
}
