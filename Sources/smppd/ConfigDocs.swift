// `smppd --help`'s key list and `smppd print-config`'s commented TOML, both rendered from the
// key tables in ConfigKeys.swift (the ones the parser uses) with the defaults read back out of
// a default DaemonConfig and Account: a key added there shows up here with its real default.
import SMSC

enum ConfigDocs {
    /// Help and comments are wrapped to this many columns (an 80-column terminal, with room).
    static let width = 78

    /// Sections in the order a config file lists them.
    static let sections = ["server", "store", "timeouts", "auth", "messages", "delivery", "carrier", "cluster"]

    /// Example values for keys that have none by default, so print-config can show their shape.
    static let examples: [String: String] = [
        "carrier.worker-nice": "10",
        "store.writer-nice": "5",
        "account.system-id": "\"acme\"",
        "account.password": "\"secret\"",
        "account.password-hash": "\"scrypt$16384$8$1$…\"",
        "account.default-number": "\"+12025550100\"",
        "carrier.system-id": "\"ourgw\"",
        "carrier.password": "\"secret\"",
        "carrier.ca-file": "\"/etc/smppd/upstream-ca.pem\"",
        "cluster.redis": "\"10.0.0.5:6379\"",
    ]

    static func literal(_ v: ConfigValue) -> String {
        switch v {
        case .string(let s): return quote(s)
        case .int(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .strings(let a): return "[" + a.map(quote).joined(separator: ", ") + "]"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }

    /// Words of `text` in lines of at most `width` columns, each starting with `indent`; a
    /// word longer than a line stays whole.
    static func wrap(_ text: String, width: Int = ConfigDocs.width, indent: String, firstIndent: String? = nil) -> [String] {
        var lines: [String] = []
        var line = firstIndent ?? indent
        var lineHasWord = false
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if lineHasWord && line.count + 1 + word.count > width {
                lines.append(line)
                line = indent
                lineHasWord = false
            }
            line += (lineHasWord ? " " : "") + word
            lineHasWord = true
        }
        if lineHasWord { lines.append(line) }
        return lines
    }

    static func section(of key: ConfigKey) -> String { String(key.name.split(separator: ".")[0]) }
    static func shortName(of key: ConfigKey) -> String { String(key.name.split(separator: ".")[1]) }

    static let defaultAccount = Account(systemID: "", password: .plaintext([]))

    /// The part of `--help` after the options: other commands and every config key.
    static var helpDiscussion: String {
        var out: [String] = [
            "Other commands:",
            "  smppd hash-password   read a password on stdin, print a password-hash",
            "                        for an [[account]] table",
            "  smppd print-config    print a config file with every key, its default",
            "                        and what it does (a start for --config FILE)",
            "",
            "Config file keys (TOML; flags win over the file), with their defaults:",
        ]
        let defaults = DaemonConfig()
        for section in sections {
            out.append("  [\(section)]")
            for key in configKeys where Self.section(of: key) == section {
                let value = key.get(defaults).map { " = " + literal($0) } ?? " (unset)"
                out += wrap("\(shortName(of: key)) (\(key.kind.rawValue))\(value)", indent: "        ", firstIndent: "    ")
                out += wrap(key.help, indent: "        ")
            }
        }
        out.append("  [[account]] (repeatable; none: a demo account is made)")
        for key in accountKeys {
            let value = key.get(defaultAccount).map { " = " + literal($0) } ?? ""
            out += wrap("\(key.name) (\(key.kind.rawValue))\(value)", indent: "        ", firstIndent: "    ")
            out += wrap(key.help, indent: "        ")
        }
        out.append("  [[carrier]] (repeatable; see docs/upstream.md)")
        out += wrap("name and kind (simulator, smpp or http) are required. A simulator takes the keys of [carrier] (which TOML does not allow beside [[carrier]]); smpp and http take:",
                    indent: "        ", firstIndent: "        ")
        for key in carrierKeys {
            let kinds = key.applies == .both ? "smpp, http" : key.applies == .smpp ? "smpp" : "http"
            let value = key.defaultValue.map { " = " + literal($0) } ?? ""
            out += wrap("\(key.name) (\(key.kind.rawValue), \(kinds))\(value)", indent: "        ", firstIndent: "    ")
            out += wrap(key.help, indent: "        ")
        }
        out.append("  [[route]] (repeatable; none: every message goes to the simulator)")
        for key in routeKeys {
            out += wrap("\(key.name) (\(key.kind.rawValue))", indent: "        ", firstIndent: "    ")
            out += wrap(key.help, indent: "        ")
        }
        return out.joined(separator: "\n")
    }

    /// A complete config file: every key with its default and its help as a comment. It loads
    /// as it is and changes nothing (keys without a default are commented out).
    static var defaultConfigTOML: String {
        var out: [String] = []
        out += wrap("smppd configuration file, printed by `smppd print-config`: every key with its default value. Load it with `smppd --config FILE`; flags given on the command line win over it. Keys that have no value by default are commented out.", indent: "# ")
        let defaults = DaemonConfig()
        for section in sections {
            out.append("")
            out.append("[\(section)]")
            for key in configKeys where Self.section(of: key) == section {
                out += wrap("\(key.help) (\(key.kind.rawValue))", indent: "# ")
                if let v = key.get(defaults) {
                    out.append("\(shortName(of: key)) = \(literal(v))")
                } else {
                    out.append("# \(shortName(of: key)) = \(examples[key.name] ?? "")")
                }
            }
        }
        out.append("")
        out += wrap("Accounts: one [[account]] table per ESME. With none (here, from flags or from the file), smppd makes a demo account and prints its password at the first start. An example, with each key's default:", indent: "# ")
        out.append("# [[account]]")
        for key in accountKeys {
            out += wrap("\(key.help) (\(key.kind.rawValue))", indent: "#   ")
            let v = key.get(defaultAccount).flatMap { key.name == "system-id" ? nil : literal($0) }
            out.append("# \(key.name) = \(v ?? examples["account.\(key.name)"] ?? "")")
        }
        out.append("")
        out += wrap("Forwarding to an SMS service upstream (docs/upstream.md): [[carrier]] sections of kind smpp or http, and [[route]] sections that send messages to them by account and destination prefix. Without routes every message goes to the simulator. With [[carrier]] sections, the [carrier] table above must become a [[carrier]] with name = \"simulator\" and kind = \"simulator\" (TOML has no table and array of tables of the same name). An example:", indent: "# ")
        out.append("# [[carrier]]")
        out.append("# name = \"upstream\"")
        out.append("# kind = \"smpp\"")
        for key in carrierKeys where key.applies != .http {
            out += wrap("\(key.help) (\(key.kind.rawValue))", indent: "#   ")
            out.append("# \(key.name) = \(key.defaultValue.map(literal) ?? examples["carrier.\(key.name)"] ?? "")")
        }
        out.append("# [[route]]")
        out.append("# carriers = [\"upstream\", \"simulator\"]")
        return out.joined(separator: "\n") + "\n"
    }
}
