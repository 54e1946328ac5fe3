// SPDX-License-Identifier: Apache-2.0
// What the token watcher has done so far, for metrics and tests. A snapshot value: read it with
// `TokenWatcher.counters`.

/// Token watcher counters since `start()`.
public struct TokenWatchCounters: Sendable, Hashable {
    /// Events read from the kernel that carried a watched file (each becomes one fileOpen record).
    public var events: UInt64 = 0
    /// Permission events answered FAN_ALLOW (by the event thread or the watchdog).
    public var allowed: UInt64 = 0
    /// Of `allowed`, how many the watchdog answered because the event thread overran the deadline.
    public var watchdogAnswers: UInt64 = 0
    /// Answers the kernel refused (the event was already answered or gone).
    public var answerFailures: UInt64 = 0
    /// Largest time from reading an event to answering it, nanoseconds.
    public var answerLatencyMaxNanoseconds: UInt64 = 0
    /// Sum of those times, for the average.
    public var answerLatencyTotalNanoseconds: UInt64 = 0
    /// Openers whose process (status, cmdline, exe, cgroup) could not all be read: the opener had
    /// exited (notification mode holds nothing; in permission mode only after a watchdog answer).
    /// Never because of a time budget.
    public var captureIncomplete: UInt64 = 0
    /// Openers whose mount namespace or root was not read because the per-event time budget ran
    /// out (the open's flags are read whatever the time).
    public var captureOutOfBudget: UInt64 = 0
    /// Openers whose mount namespace and root were not read at all because their batch was already
    /// over budget.
    public var captureSkipped: UInt64 = 0
    /// Records the event stream could not take (reported as `.drop` records when space returns).
    public var dropped: UInt64 = 0
    /// FAN_Q_OVERFLOW markers from the kernel (notification mode only).
    public var kernelOverflows: UInt64 = 0
    /// Read buffers with a record that could not be decoded.
    public var decodeErrors: UInt64 = 0
    /// fanotify read(2) failures other than EAGAIN.
    public var readErrors: UInt64 = 0
    /// Files marked after the last scan.
    public var marks: Int = 0
    /// Mark attempts that failed for a reason other than the file being absent.
    public var markFailures: UInt64 = 0
    /// Completed scans (the initial one included).
    public var rescans: UInt64 = 0
    /// Scans that hit the pod, volume or mark cap and so did not cover everything.
    public var truncatedScans: UInt64 = 0
    /// The last error seen, with where it happened.
    public var lastError: String?

    public init() {}

    /// Number of permission events answered by the event thread and timed.
    public var timedAnswers: UInt64 { allowed - watchdogAnswers }

    /// Mean time from reading an event to answering it, nanoseconds (0 before the first answer).
    public var answerLatencyAverageNanoseconds: UInt64 {
        timedAnswers == 0 ? 0 : answerLatencyTotalNanoseconds / timedAnswers
    }
}
