// CivilDateTime: a proleptic-Gregorian UTC date and time of day, with conversion from and to
// Unix seconds (no Foundation in this module). The day arithmetic is the well-known
// civil-from-days / days-from-civil method on 400-year eras (146 097 days each), exact for
// any Int64 day count in range. Pure values: any thread.

/// A UTC calendar date and time to the second, as receipts print it (C-DLV-1).
public struct CivilDateTime: Hashable, Sendable, CustomStringConvertible {
    /// Full year, e.g. 2024 (not two digits).
    public var year: Int
    /// 1...12.
    public var month: Int
    /// 1...31.
    public var day: Int
    /// 0...23.
    public var hour: Int
    /// 0...59.
    public var minute: Int
    /// 0...59.
    public var second: Int

    /// Stores the fields as given; see `isValid`.
    @inlinable
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The UTC date and time of `unixSeconds` (seconds since 1970-01-01 00:00:00 UTC;
    /// negative values are before 1970). Leap seconds do not exist in Unix time, so
    /// `second` is never 60. Never allocates.
    @inlinable
    public init(unixSeconds: Int64) {
        // Floor division: a negative remainder belongs to the previous day.
        let (quotient, remainder) = unixSeconds.quotientAndRemainder(dividingBy: 86_400)
        let days = remainder < 0 ? quotient - 1 : quotient
        let secondOfDay = Int(remainder < 0 ? remainder + 86_400 : remainder)
        let (year, month, day) = CivilDateTime.civil(fromDays: days)
        self.init(
            year: year, month: month, day: day,
            hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60, second: secondOfDay % 60)
    }

    /// Seconds since 1970-01-01 00:00:00 UTC. Meaningful only when `isValid`.
    @inlinable
    public var unixSeconds: Int64 {
        CivilDateTime.days(fromYear: year, month: month, day: day) * 86_400
            + Int64(hour * 3600 + minute * 60 + second)
    }

    /// True when every field is in range, the day existing in its month (29 February only
    /// in leap years).
    public var isValid: Bool {
        guard (1...12).contains(month), (0...23).contains(hour), (0...59).contains(minute),
              (0...59).contains(second) else { return false }
        return (1...CivilDateTime.daysIn(month: month, year: year)).contains(day)
    }

    /// "2024-12-31 23:59:59".
    public var description: String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(hour)):\(two(minute)):\(two(second))"
    }

    /// Year, month and day of day number `days` counted from 1970-01-01 (day 0).
    @inlinable
    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        // Shift the epoch to 0000-03-01 so that leap days fall at the end of each year.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097                                               // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365  // 0...399
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)     // 0...365, from March
        let monthFromMarch = (5 * dayOfYear + 2) / 153                                      // 0...11
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    /// Day number (1970-01-01 is 0) of a proleptic-Gregorian date; inverse of `civil(fromDays:)`.
    @inlinable
    static func days(fromYear year: Int, month: Int, day: Int) -> Int64 {
        let marchYear = Int64(month <= 2 ? year - 1 : year)
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400
        let monthFromMarch = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
