// Structured logs: one logfmt line per event on stderr (`ts=… level=… event=… key=value`).
// The log message is the event name; metadata are its fields. One write(2) per line, so
// lines from different threads never interleave.
#if canImport(Glibc)
import Glibc
#endif
import Logging

struct LogfmtHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(level: Logger.Level) { logLevel = level }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = "ts=\(Self.timestamp()) level=\(event.level) event=\(Self.quoted(event.message.description))"
        let fields = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for key in fields.keys.sorted() {
            line += " \(key)=\(Self.quoted(fields[key]!.description))"
        }
        line += "\n"
        _ = writeAll(2, Array(line.utf8))
    }

    /// Values with spaces, quotes or `=` are quoted, with `"` and `\` escaped.
    static func quoted(_ s: String) -> String {
        let plain = !s.isEmpty && s.utf8.allSatisfy { $0 > 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "\\") }
        if plain { return s }
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    /// UTC time with milliseconds, e.g. 2026-11-26T23:59:59.123Z.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = time_t(ts.tv_sec)
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int32, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2)).\(pad(Int32(ts.tv_nsec / 1_000_000), 3))Z"
    }
}
