// SPDX-License-Identifier: Apache-2.0
// RFC 3339 timestamps with nanosecond precision, as Falco writes an alert's `time`, a trace header its
// `start` and the API server its audit timestamps. One parser for all of them, exact: Foundation's
// ISO8601DateFormatter goes through Date (a Double), which rounds the microseconds the API server
// writes, and event order within a second depends on them.

import Foundation

public enum RFC3339 {
    /// `2026-11-22T10:15:30.123456789Z` for nanoseconds since the epoch, in UTC.
    public static func format(nanoseconds: UInt64) -> String {
        String(unsafeUninitializedCapacity: formattedLength) { buffer in
            write(nanoseconds: nanoseconds, to: buffer.baseAddress!)
            return formattedLength
        }
    }

    /// The length of `format(nanoseconds:)`'s text: nanoseconds in a UInt64 reach the year 2554, so
    /// the year always has four digits.
    static let formattedLength = 30

    /// Writes the `format(nanoseconds:)` text, `formattedLength` bytes, digit by digit to `out`: the
    /// alert writer's path, which must not build a String (or go through `String(format:)`) per alert.
    static func write(nanoseconds: UInt64, to out: UnsafeMutablePointer<UInt8>) {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var t = tm()
        gmtime_r(&seconds, &t)
        var at = 0
        func digits(_ value: Int, _ width: Int, then separator: UInt8) {
            var v = value
            for i in stride(from: width - 1, through: 0, by: -1) {
                out[at + i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            out[at + width] = separator
            at += width + 1
        }
        digits(Int(t.tm_year) + 1900, 4, then: UInt8(ascii: "-"))
        digits(Int(t.tm_mon) + 1, 2, then: UInt8(ascii: "-"))
        digits(Int(t.tm_mday), 2, then: UInt8(ascii: "T"))
        digits(Int(t.tm_hour), 2, then: UInt8(ascii: ":"))
        digits(Int(t.tm_min), 2, then: UInt8(ascii: ":"))
        digits(Int(t.tm_sec), 2, then: UInt8(ascii: "."))
        digits(Int(nanoseconds % 1_000_000_000), 9, then: UInt8(ascii: "Z"))
    }

    /// Nanoseconds since the epoch for `2026-11-22T10:15:30.123456Z` (any fraction length up to 9
    /// digits, `Z` or `±HH:MM`), or nil if `text` is not such a timestamp, is before 1970 or after
    /// what nanoseconds in a UInt64 can hold (2554).
    public static func parse(_ text: String) -> UInt64? {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var v = 0
            for i in at..<(at + n) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard b.count >= 20, let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2),
              b[7] == UInt8(ascii: "-"), let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2),
              b[16] == UInt8(ascii: ":"), let second = digits(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var i = 19
        var fraction = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var count = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if count < 9 { fraction = fraction * 10 + Int(b[i] - 48); count += 1 }
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<9 { fraction *= 10 }
        }
        guard i < b.count else { return nil }
        var offsetSeconds = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = digits(i + 1, 2), b.count > i + 3, b[i + 3] == UInt8(ascii: ":"), let om = digits(i + 4, 2) else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        guard seconds >= 0 else { return nil }
        // Nanoseconds since the epoch fit a UInt64 until 2554: a later year is out of range, not a
        // trap (found by fuzzing: a trace header whose start was year 8790 stopped `replay`).
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (total, carry) = whole.addingReportingOverflow(UInt64(fraction))
        return carry ? nil : total
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
