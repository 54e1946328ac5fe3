// SPDX-License-Identifier: Apache-2.0
// Incident ids: derived from what both live and replay see (the workload key and the event time of
// the opening alert), never from a counter or the clock, so a replay names incidents as live did.

enum IncidentID {
    /// `inc-` and 16 hex digits of the FNV-1a 64-bit hash of "key@time" (Swift's `Hasher` is seeded
    /// per process, so it cannot give ids that are stable across runs).
    static func make(workloadKey: String, openedAt: UInt64) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(workloadKey)@\(openedAt)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "inc-" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
