// SPDX-License-Identifier: Apache-2.0
// One sentence on stderr and exit status 1: how the CLI reports a failure that is not a usage error.

import ArgumentParser

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
