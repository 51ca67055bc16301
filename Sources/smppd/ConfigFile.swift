// Reads a TOML config file into a DaemonConfig, checking every key against ConfigKeys.swift:
// an unknown key, a wrong type or a bad value stops start-up with a message naming the key.
import SMSC
import TOMLKit

enum ConfigFile {
    /// Applies the file's settings on top of `base`. Throws ConfigError naming the key.
    static func load(path: String, into base: DaemonConfig) throws(ConfigError) -> DaemonConfig {
        guard let text = readTextFile(path) else {
            throw ConfigError(key: path, problem: "cannot read the file")
        }
        return try parse(text, into: base, source: path)
    }

    static func parse(_ text: String, into base: DaemonConfig, source: String = "config") throws(ConfigError) -> DaemonConfig {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw ConfigError(key: source, problem: "TOML syntax error at line \(e.source.begin.line), column \(e.source.begin.column): \(e.description)")
        } catch {
            throw ConfigError(key: source, problem: "TOML syntax error: \(error)")
        }
        var config = base
        config.accounts = []
        config.messaging.carriers = []
        config.messaging.routes = []
        let known = Dictionary(uniqueKeysWithValues: configKeys.map { ($0.name, $0) })
        for (section, value) in root {
            if section == "account" {
                guard let array = value.array else {
                    throw ConfigError(key: "account", problem: "must be an array of tables ([[account]])")
                }
                for (i, element) in array.enumerated() {
                    guard let table = element.table else {
                        throw ConfigError(key: "account[\(i)]", problem: "must be a table")
                    }
                    config.accounts.append(try account(table, index: i))
                }
                continue
            }
            if section == "carrier", let array = value.array {
                try UpstreamConfig.carriers(array, into: &config, known: known) { v, kind, key throws(ConfigError) in
                    try convert(v, to: kind, key: key)
                }
                continue
            }
            if section == "route" {
                guard let array = value.array else {
                    throw ConfigError(key: "route", problem: "must be an array of tables ([[route]])")
                }
                try UpstreamConfig.routes(array, into: &config) { v, kind, key throws(ConfigError) in try convert(v, to: kind, key: key) }
                continue
            }
            guard ["server", "store", "timeouts", "auth", "messages", "delivery", "carrier", "cluster"].contains(section) else {
                throw ConfigError(key: section, problem: "unknown section or key (known: [server], [store], [timeouts], [auth], [messages], [delivery], [carrier], [[account]], [[carrier]], [[route]])")
            }
            guard let table = value.table else {
                throw ConfigError(key: section, problem: "must be a table ([\(section)])")
            }
            for (name, v) in table {
                let full = "\(section).\(name)"
                guard let key = known[full] else {
                    throw ConfigError(key: full, problem: "unknown key")
                }
                try key.apply(&config, try convert(v, to: key.kind, key: full))
            }
        }
        try UpstreamConfig.validate(config)
        let systemIDs = config.accounts.map(\.systemID)
        if Set(systemIDs).count != systemIDs.count {
            throw ConfigError(key: "account.system-id", problem: "duplicate system-id")
        }
        return config
    }

    private static func convert(_ v: TOMLValueConvertible, to kind: ConfigKey.Kind, key: String) throws(ConfigError) -> ConfigValue {
        switch kind {
        case .string: if let s = v.string { return .string(s) }
        case .integer: if let n = v.int { return .int(n) }
        case .boolean: if let b = v.bool { return .bool(b) }
        case .stringArray:
            if let a = v.array {
                var out: [String] = []
                for e in a {
                    guard let s = e.string else { throw ConfigError(key: key, problem: "expected \(kind.rawValue)") }
                    out.append(s)
                }
                return .strings(out)
            }
        }
        throw ConfigError(key: key, problem: "expected \(kind.rawValue), got \(v.type)")
    }

    private static func account(_ table: TOMLTable, index i: Int) throws(ConfigError) -> Account {
        let kinds = Dictionary(uniqueKeysWithValues: accountKeys.map { ($0.name, $0.kind) })
        var values: [String: ConfigValue] = [:]
        for (name, v) in table {
            let full = "account[\(i)].\(name)"
            guard let kind = kinds[name] else { throw ConfigError(key: full, problem: "unknown key") }
            values[name] = try convert(v, to: kind, key: full)
        }
        func string(_ k: String) -> String? { if case .string(let s)? = values[k] { return s }; return nil }
        func strings(_ k: String) -> [String]? { if case .strings(let s)? = values[k] { return s }; return nil }

        guard let systemID = string("system-id"), !systemID.isEmpty, systemID.utf8.count <= 15 else {
            throw ConfigError(key: "account[\(i)].system-id", problem: "required, 1…15 characters")
        }
        let prefix = "account[\(i)] (\(systemID))"
        let password: PasswordHash
        switch (string("password"), string("password-hash")) {
        case (let p?, nil):
            guard !p.isEmpty else { throw ConfigError(key: "\(prefix).password", problem: "must not be empty") }
            password = .plaintext(Array(p.utf8))
        case (nil, let h?):
            do { password = try PasswordHash(parsing: h) } catch {
                throw ConfigError(key: "\(prefix).password-hash", problem: error.description)
            }
        case (nil, nil):
            throw ConfigError(key: "\(prefix).password", problem: "one of password or password-hash is required")
        case (_?, _?):
            throw ConfigError(key: "\(prefix).password", problem: "give password or password-hash, not both")
        }
        let numbers = strings("numbers") ?? []
        for n in numbers where !E164.isValid(n) {
            throw ConfigError(key: "\(prefix).numbers", problem: "\"\(n)\" is not an E.164 number (+ then 8–15 digits)")
        }
        let defaultNumber = string("default-number")
        if let d = defaultNumber, !E164.isValid(d) {
            throw ConfigError(key: "\(prefix).default-number", problem: "\"\(d)\" is not an E.164 number")
        }
        var maxSessions = 8
        if case .int(let n)? = values["max-sessions"] {
            guard n > 0, n <= 100_000 else { throw ConfigError(key: "\(prefix).max-sessions", problem: "must be 1…100000") }
            maxSessions = n
        }
        var modes = Set(BindMode.allCases)
        if let names = strings("bind-modes") {
            modes = []
            for n in names {
                guard let m = BindMode(rawValue: n) else {
                    throw ConfigError(key: "\(prefix).bind-modes", problem: "\"\(n)\" is not transmitter, receiver or transceiver")
                }
                modes.insert(m)
            }
            if modes.isEmpty { throw ConfigError(key: "\(prefix).bind-modes", problem: "must name at least one mode") }
        }
        var credits: Int? = nil
        if case .int(let n)? = values["credits"] {
            guard n >= -1 else { throw ConfigError(key: "\(prefix).credits", problem: "must be -1 (unlimited) or more") }
            credits = n < 0 ? nil : n
        }
        var submitRate = 0
        if case .int(let n)? = values["submit-rate"] {
            guard n >= 0, n <= 10_000_000 else { throw ConfigError(key: "\(prefix).submit-rate", problem: "must be 0…10000000") }
            submitRate = n
        }
        var moRate = 0.0
        if case .int(let n)? = values["mo-rate"] {
            guard n >= 0, n <= 1_000_000 else { throw ConfigError(key: "\(prefix).mo-rate", problem: "must be 0…1000000") }
            guard n == 0 || defaultNumber != nil || !numbers.isEmpty else {
                throw ConfigError(key: "\(prefix).mo-rate", problem: "needs numbers or default-number (the MO destination)")
            }
            moRate = Double(n)
        }
        return Account(systemID: systemID, password: password, numbers: numbers, defaultNumber: defaultNumber,
                       maxSessions: maxSessions, bindModes: modes, allowedIPs: strings("allowed-ips") ?? [],
                       credits: credits, submitRate: submitRate, moRate: moRate)
    }
}
