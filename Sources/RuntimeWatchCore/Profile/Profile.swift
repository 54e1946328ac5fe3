// SPDX-License-Identifier: Apache-2.0
// Placeholder: the profile model is being built (YAML, scopes, targets). Empty profile = no allowlist.
public struct Profile: Sendable {
    public init() {}
}
