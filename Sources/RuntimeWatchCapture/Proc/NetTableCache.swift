// SPDX-License-Identifier: Apache-2.0
// During one /proc scan many processes share a network namespace; reading its socket tables once
// per namespace instead of once per process keeps a snapshot of a busy host cheap. Exec-time
// reads do not use it: they must see the socket as it is now.

/// Socket-table text by network namespace, valid for one scan. Not thread-safe.
public final class NetTableCache {
    private var tables: [String: String] = [:]
    public init() {}

    func text(namespace: String, table: String, read: () -> String?) -> String? {
        let key = namespace + "/" + table
        if let cached = tables[key] { return cached }
        guard let text = read() else { return nil }
        tables[key] = text
        return text
    }
}
