// SPDX-License-Identifier: Apache-2.0
// The node's name and kernel release, for alerts (`hostname`) and trace headers.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum HostIdentity {
    /// `$RUNTIME_WATCH_HOSTNAME` (a DaemonSet sets it to the node name), else gethostname(2).
    public static func hostname() -> String {
        if let env = Foundation.ProcessInfo.processInfo.environment["RUNTIME_WATCH_HOSTNAME"], !env.isEmpty { return env }
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// uname -r.
    public static func kernelRelease() -> String {
        var u = utsname()
        guard uname(&u) == 0 else { return "unknown" }
        return withUnsafeBytes(of: &u.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    public static func nowNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
