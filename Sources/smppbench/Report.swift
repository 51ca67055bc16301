// Report: what every measurement (submit, handshakes, binds, idle) shares for its output: stderr
// notes, whole-string writes to fd 1/2, number formatting without Foundation, error tables and the
// JSON report file. No state; any thread (smppbench only runs its loop thread).

#if canImport(Glibc)
import Glibc
#endif
import Histogram
import Reactor

enum Report {
    /// Whole string to fd 1 or 2 (stdio's globals are not Swift 6 concurrency-safe).
    static func write(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withContiguousStorageIfAvailable { Glibc.write(fd, $0.baseAddress, $0.count) } ?? -1
            if n < 0 { if errno == EINTR { continue } else { return } }
            done += n
        }
    }

    /// One line to stderr.
    static func note(_ text: String) {
        write(2, text + "\n")
    }

    /// `v` rounded to `decimals` places ("12.5", "3"), without Foundation's String(format:).
    static func fmt(_ v: Double, _ decimals: Int) -> String {
        var p = 1.0
        for _ in 0..<decimals { p *= 10 }
        let r = (v * p).rounded() / p
        if decimals == 0 { return String(Int(r)) }
        let whole = Int(r)
        var frac = String(Int(((r - Double(whole)) * p).rounded()).magnitude)
        while frac.count < decimals { frac = "0" + frac }
        return "\(whole).\(frac)"
    }

    static func ms(_ us: UInt64) -> String { "\(fmt(Double(us) / 1000, 2)) ms" }

    static func jsonEscape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: if c.value < 0x20 { out += "?" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    /// "3 (ESME_RINVPASWD 2, connect_failed 1)" or "0".
    static func errorsText(_ errors: [String: Int]) -> String {
        let total = errors.values.reduce(0, +)
        return "\(total)" + (errors.isEmpty ? "" : " (" + errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
    }

    /// `{"name":count,...}`, sorted by name.
    static func errorsJSON(_ errors: [String: Int]) -> String {
        "{" + errors.sorted { $0.key < $1.key }.map { "\"\(jsonEscape($0.key))\":\($0.value)" }.joined(separator: ",") + "}"
    }

    /// `"<prefix>p50_us":..,"<prefix>p90_us":..,"<prefix>p99_us":..,"<prefix>p999_us":..,"<prefix>max_us":..`
    static func percentilesJSON(_ h: Histogram<UInt64>, prefix: String = "") -> String {
        "\"\(prefix)p50_us\":\(h.valueAtPercentile(50)),\"\(prefix)p90_us\":\(h.valueAtPercentile(90)),"
            + "\"\(prefix)p99_us\":\(h.valueAtPercentile(99)),\"\(prefix)p999_us\":\(h.valueAtPercentile(99.9)),"
            + "\"\(prefix)max_us\":\(h.max)"
    }

    /// "p50 N us  p90 N us  p99 N us  p99.9 N us  max N us"
    static func percentilesText(_ h: Histogram<UInt64>) -> String {
        "p50 \(h.valueAtPercentile(50)) us  p90 \(h.valueAtPercentile(90)) us  p99 \(h.valueAtPercentile(99)) us"
            + "  p99.9 \(h.valueAtPercentile(99.9)) us  max \(h.max) us"
    }

    /// Ends a mode's report as every mode does: `text` gets the errors and sessions lines and goes
    /// to stdout; `json` (the mode's own keys, each followed by a comma) gets the mode, the errors
    /// and the connection's tls and bind and goes to --json; `histogram` goes to --hgrm. False
    /// when a file could not be written.
    static func finish(mode: String, text: String, sessions: String, json: String, errors: [String: Int],
                       settings: BenchSettings, histogram: Histogram<UInt64>) -> Bool {
        write(1, text + "  errors         \(errorsText(errors))\n  sessions       \(sessions)\n")
        var ok = true
        if let path = settings.jsonPath {
            let tls = settings.tlsLabel == "plaintext" ? "false" : "true"
            let tail = "\"errors\":\(errorsJSON(errors)),\"tls\":\(tls),\"bind\":\"\(settings.bindName)\"}\n"
            ok = writeJSON("{\"mode\":\"\(mode)\"," + json + tail, to: path)
        }
        return writeHgrm(histogram, to: settings.hgrmPath) && ok
    }

    /// Writes `json` to `path`; false (after a note) when the file cannot be written.
    /// `h` (microseconds) as HdrHistogram's outputPercentileDistribution prints it, in
    /// milliseconds: the .hgrm text the HdrHistogram plotter reads.
    static func hgrmText(_ h: Histogram<UInt64>) -> String {
        var out = ""
        h.outputPercentileDistribution(to: &out, outputValueUnitScalingRatio: 1000)
        return out
    }

    /// Writes `--hgrm` when asked for; false when the file cannot be written.
    static func writeHgrm(_ h: Histogram<UInt64>, to path: String?) -> Bool {
        guard let path else { return true }
        return writeJSON(hgrmText(h), to: path)
    }

    static func writeJSON(_ json: String, to path: String) -> Bool {
        guard let f = fopen(path, "w") else {
            note("smppbench: cannot write \(path): \(Sys.describe(errno: errno))")
            return false
        }
        fputs(json, f)
        return fclose(f) == 0
    }

    /// CPU seconds (user + system) this process has used so far: tells whether the client was the limit.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// A latency histogram in microseconds, up to an hour (the submit path's shape).
    static func latencyHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    }
}
