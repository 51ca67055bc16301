// Builds the Prometheus text exposition format 0.0.4: HELP/TYPE lines, samples with escaped
// label values, cumulative histograms. Any thread.

public struct PrometheusText {
    public private(set) var text = ""
    public init() {}

    public typealias Labels = [(String, String)]

    public mutating func counter(_ name: String, help: String, samples: [(Labels, Double)]) {
        family(name, help: help, type: "counter", samples: samples)
    }

    public mutating func gauge(_ name: String, help: String, samples: [(Labels, Double)]) {
        family(name, help: help, type: "gauge", samples: samples)
    }

    /// `cumulativeCounts[i]` = observations ≤ `buckets[i]`; `count` includes those above the last.
    public mutating func histogram(_ name: String, help: String, buckets: [Double], cumulativeCounts: [UInt64], sum: Double, count: UInt64) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) histogram\n"
        for (b, c) in zip(buckets, cumulativeCounts) {
            text += "\(name)_bucket{le=\"\(Self.number(b))\"} \(c)\n"
        }
        text += "\(name)_bucket{le=\"+Inf\"} \(count)\n\(name)_sum \(Self.number(sum))\n\(name)_count \(count)\n"
    }

    private mutating func family(_ name: String, help: String, type: String, samples: [(Labels, Double)]) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(type)\n"
        for (labels, value) in samples {
            text += name
            if !labels.isEmpty {
                text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
            }
            text += " \(Self.number(value))\n"
        }
    }

    static func escapeLabel(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func escapeHelp(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
