// SPDX-License-Identifier: Apache-2.0
// Names capture reader threads (the audit reader first), so their CPU time is visible per thread in
// /proc/self/task/<tid>/comm and `top -H`. Foundation's Thread.name does not reach the kernel here.

internal import CShims

/// Sets the kernel name of the calling thread (15 bytes kept). Returns false if the kernel refused.
/// The corresponding C call is `prctl(PR_SET_NAME)`.
@discardableResult
public func setCurrentThreadName(_ name: String) -> Bool {
    name.withCString { rw_thread_set_name($0) } == 0
}
