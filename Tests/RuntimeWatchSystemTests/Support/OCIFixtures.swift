// SPDX-License-Identifier: Apache-2.0
// Loads the hand-written OCI state files in Fixtures/oci (see its README.md) from the test bundle.

import Foundation

enum OCIFixtures {
    /// The bytes of `Fixtures/oci/<name>`.
    static func data(_ name: String) throws -> Data {
        guard let base = Bundle.module.resourceURL else { throw HarnessError("test bundle has no resources") }
        return try Data(contentsOf: base.appendingPathComponent("Fixtures/oci/\(name)"))
    }
}
