// SMPP v3.4 §7.1.1 time format ("YYMMDDhhmmsstnnp"): validity_period in, final_date out.
// Pure functions over Unix milliseconds; any thread.
import SMPP

enum SMPPTime {
    /// The deadline a validity_period names: absolute (p = '+'/'-', offset nn quarter hours
    /// from UTC) or relative (p = 'R'). nil when malformed (→ ESME_RINVEXPIRY).
    static func deadline(_ v: BytesView, nowMs: Int64) -> Int64? {
        guard v.count == 16 else { return nil }
        var d = [Int](repeating: 0, count: 15)
        for i in 0..<15 {
            let c = v[i]
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
            d[i] = Int(c - UInt8(ascii: "0"))
        }
        let yy = d[0] * 10 + d[1], mo = d[2] * 10 + d[3], dd = d[4] * 10 + d[5]
        let hh = d[6] * 10 + d[7], mi = d[8] * 10 + d[9], ss = d[10] * 10 + d[11]
        let tenths = d[12], quarters = d[13] * 10 + d[14]
        switch v[15] {
        case UInt8(ascii: "R"):
            // Relative: years and months approximated as 365 and 30 days, as SMSCs commonly do.
            let seconds = Int64(((yy * 365 + mo * 30 + dd) * 24 + hh) * 3600 + mi * 60 + ss)
            guard seconds > 0 else { return nil }
            return nowMs + seconds * 1000
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard (1...12).contains(mo), (1...31).contains(dd), hh < 24, mi < 60, ss < 60, quarters <= 48 else { return nil }
            let civil = CivilDateTime(year: 2000 + yy, month: mo, day: dd, hour: hh, minute: mi, second: ss)
            guard civil.isValid else { return nil }
            let offsetSeconds = Int64(quarters * 15 * 60)
            let utc = civil.unixSeconds - (v[15] == UInt8(ascii: "+") ? offsetSeconds : -offsetSeconds)
            return utc * 1000 + Int64(tenths) * 100
        default:
            return nil
        }
    }

    /// final_date for query_sm_resp: absolute UTC, "YYMMDDhhmmss000+" (16 characters).
    static func absolute(unixMs: Int64) -> [UInt8] {
        let c = CivilDateTime(unixSeconds: unixMs / 1000)
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for v in [c.year % 100, c.month, c.day, c.hour, c.minute, c.second] {
            out.append(UInt8(ascii: "0") + UInt8(v / 10))
            out.append(UInt8(ascii: "0") + UInt8(v % 10))
        }
        out.append(contentsOf: Array("000+".utf8))
        return out
    }
}
