// SPDX-License-Identifier: Apache-2.0
// A profile as a ConfigMap could carry it (no host name resolution: the loader's default resolver
// answers nothing). Loaded alone: layering over the embedded default costs a YAML parse of the
// default per input (76 inputs/s instead of thousands) and the merge is covered by unit tests.

import RuntimeWatchCore

enum ProfileTarget {
    static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            _ = try ProfileLoader().load([ProfileSource(name: "fuzz.yaml", text: text)])
        } catch {
            _ = "\(error)"
        }
    }
}
