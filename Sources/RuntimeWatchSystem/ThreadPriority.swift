// SPDX-License-Identifier: Apache-2.0
// Favouring one latency-critical thread (capture's receive thread) without renicing the process.

internal import CShims

public enum ThreadPriority {
    /// Sets the calling thread's nice value (-20 highest … 19 lowest).
    /// - Throws: `SystemError` (EACCES/EPERM without CAP_SYS_NICE for negative values).
    ///
    /// The corresponding C function is `rw_sched_set_thread_nice` (`setpriority(2)` on the thread id).
    public static func setCurrentThreadNice(_ nice: Int32) throws(SystemError) {
        _ = try shimCall("rw_sched_set_thread_nice") { rw_sched_set_thread_nice(nice) }
    }
}
