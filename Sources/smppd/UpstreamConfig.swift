// The `[[carrier]]` and `[[route]]` sections (issue 12), read like every other key: a table of
// known keys per carrier kind, each with its kind, help and how it lands in the settings, so
// the reader, `--help`, `print-config` and the error messages agree.
//
// TOML cannot have both `[carrier]` (the simulator's table) and `[[carrier]]` sections. With
// `[[carrier]]` sections the simulator's keys go in one of kind "simulator"; without them the
// `[carrier]` table configures it as before. The simulator is always a carrier named
// "simulator" that routes may list.
import SMSC
import TOMLKit
import Upstream

/// One key of a `[[carrier]]` table of some kind.
struct CarrierKey: Sendable {
    enum Applies: Sendable { case smpp, http, both }
    let name: String
    let kind: ConfigKey.Kind
    let applies: Applies
    let help: String
    /// Its default, for the docs (nil: unset unless given).
    let defaultValue: ConfigValue?
    let smpp: (@Sendable (inout SMPPUpstreamSettings, ConfigValue, String) throws(ConfigError) -> Void)?
    let http: (@Sendable (inout HTTPUpstreamSettings, ConfigValue, String) throws(ConfigError) -> Void)?
}

private func int(_ v: ConfigValue, _ key: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int {
    guard case .int(let n) = v, range.contains(n) else {
        throw ConfigError(key: key, problem: "must be \(range.lowerBound)…\(range.upperBound)")
    }
    return n
}
private func str(_ v: ConfigValue) -> String { if case .string(let s) = v { return s }; return "" }
private func bool(_ v: ConfigValue) -> Bool { if case .bool(let b) = v { return b }; return false }

private let msRange = 1...86_400_000

let carrierKeys: [CarrierKey] = [
    CarrierKey(name: "host", kind: .string, applies: .smpp, help: "the upstream SMSC's host name or address", defaultValue: .string("127.0.0.1"),
               smpp: { s, v, _ in s.host = str(v) }, http: nil),
    CarrierKey(name: "port", kind: .integer, applies: .smpp, help: "its SMPP port", defaultValue: .int(2775),
               smpp: { s, v, k throws(ConfigError) in s.port = try int(v, k, 1...65535) }, http: nil),
    CarrierKey(name: "tls", kind: .boolean, applies: .smpp, help: "connect with TLS, verified against ca-file (else the system's CAs)", defaultValue: .bool(false),
               smpp: { s, v, _ in s.tls = bool(v) }, http: nil),
    CarrierKey(name: "tls-insecure", kind: .boolean, applies: .smpp, help: "TLS without certificate verification (test peers only)", defaultValue: .bool(false),
               smpp: { s, v, _ in s.tlsInsecure = bool(v) }, http: nil),
    CarrierKey(name: "tls-server-name", kind: .string, applies: .smpp, help: "the name the upstream's certificate must carry (default: host)", defaultValue: nil,
               smpp: { s, v, _ in s.tlsServerName = str(v) }, http: nil),
    CarrierKey(name: "system-id", kind: .string, applies: .smpp, help: "the system_id smppd binds with (required)", defaultValue: nil,
               smpp: { s, v, k throws(ConfigError) in
                   s.systemID = str(v)
                   guard !s.systemID.isEmpty, s.systemID.utf8.count <= 15 else { throw ConfigError(key: k, problem: "1…15 characters") }
               }, http: nil),
    CarrierKey(name: "system-type", kind: .string, applies: .smpp, help: "the system_type of the bind (at most 12 characters)", defaultValue: .string(""),
               smpp: { s, v, k throws(ConfigError) in
                   s.systemType = str(v)
                   guard s.systemType.utf8.count <= 12 else { throw ConfigError(key: k, problem: "at most 12 characters (SMPP v3.4)") }
               }, http: nil),
    CarrierKey(name: "bind-mode", kind: .string, applies: .smpp, help: "transceiver (one session) or pair (a transmitter and a receiver)", defaultValue: .string("transceiver"),
               smpp: { s, v, k throws(ConfigError) in
                   guard let m = SMPPUpstreamSettings.BindMode(rawValue: str(v)) else {
                       throw ConfigError(key: k, problem: "must be \"transceiver\" or \"pair\", got \"\(str(v))\"")
                   }
                   s.bindMode = m
               }, http: nil),
    CarrierKey(name: "sessions", kind: .integer, applies: .smpp, help: "sessions (or pairs) kept bound", defaultValue: .int(1),
               smpp: { s, v, k throws(ConfigError) in s.sessions = try int(v, k, 1...64) }, http: nil),
    CarrierKey(name: "window", kind: .integer, applies: .smpp, help: "submit_sm in flight per session", defaultValue: .int(64),
               smpp: { s, v, k throws(ConfigError) in s.window = try int(v, k, 1...10_000) }, http: nil),
    CarrierKey(name: "enquire-link-ms", kind: .integer, applies: .smpp, help: "enquire_link interval on an idle session", defaultValue: .int(30_000),
               smpp: { s, v, k throws(ConfigError) in s.enquireLinkMs = Int64(try int(v, k, msRange)) }, http: nil),
    CarrierKey(name: "response-timeout-ms", kind: .integer, applies: .smpp, help: "a submit_sm or enquire_link unanswered this long drops the session", defaultValue: .int(10_000),
               smpp: { s, v, k throws(ConfigError) in s.responseTimeoutMs = Int64(try int(v, k, msRange)) }, http: nil),
    CarrierKey(name: "reconnect-initial-ms", kind: .integer, applies: .smpp, help: "first reconnect delay; it doubles per failure", defaultValue: .int(1_000),
               smpp: { s, v, k throws(ConfigError) in s.reconnect.initialMs = Int64(try int(v, k, msRange)) }, http: nil),
    CarrierKey(name: "reconnect-max-ms", kind: .integer, applies: .smpp, help: "longest reconnect delay", defaultValue: .int(60_000),
               smpp: { s, v, k throws(ConfigError) in s.reconnect.maximumMs = Int64(try int(v, k, msRange)) }, http: nil),
    CarrierKey(name: "throttle-initial-ms", kind: .integer, applies: .smpp, help: "pause after ESME_RTHROTTLED / ESME_RMSGQFUL; it doubles while they repeat", defaultValue: .int(100),
               smpp: { s, v, k throws(ConfigError) in s.throttle.initialMs = Int64(try int(v, k, msRange)) }, http: nil),
    CarrierKey(name: "throttle-max-ms", kind: .integer, applies: .smpp, help: "longest such pause", defaultValue: .int(5_000),
               smpp: { s, v, k throws(ConfigError) in s.throttle.maximumMs = Int64(try int(v, k, msRange)) }, http: nil),
    CarrierKey(name: "url", kind: .string, applies: .http, help: "where batches are POSTed (http:// or https://; required)", defaultValue: nil,
               smpp: nil, http: { s, v, k throws(ConfigError) in
                   s.url = str(v)
                   guard s.url.hasPrefix("http://") || s.url.hasPrefix("https://") else {
                       throw ConfigError(key: k, problem: "must start with http:// or https://, got \"\(s.url)\"")
                   }
               }),
    CarrierKey(name: "bearer-token", kind: .string, applies: .http, help: "sent as Authorization: Bearer …", defaultValue: nil,
               smpp: nil, http: { s, v, _ in s.bearerToken = str(v) }),
    CarrierKey(name: "username", kind: .string, applies: .http, help: "basic auth user (with password)", defaultValue: nil,
               smpp: nil, http: { s, v, _ in s.username = str(v) }),
    CarrierKey(name: "password", kind: .string, applies: .both, help: "smpp: the bind password (at most 8 characters); http: the basic auth password", defaultValue: nil,
               smpp: { s, v, k throws(ConfigError) in
                   s.password = str(v)
                   guard s.password.utf8.count <= 8 else { throw ConfigError(key: k, problem: "at most 8 characters (SMPP v3.4 bind)") }
               }, http: { s, v, _ in s.password = str(v) }),
    CarrierKey(name: "ca-file", kind: .string, applies: .both, help: "PEM CA file TLS peers are verified against (default: the system's)", defaultValue: nil,
               smpp: { s, v, _ in s.caFile = str(v) }, http: { s, v, _ in s.caFile = str(v) }),
    CarrierKey(name: "batch-size", kind: .integer, applies: .http, help: "messages per request", defaultValue: .int(100),
               smpp: nil, http: { s, v, k throws(ConfigError) in s.batchSize = try int(v, k, 1...10_000) }),
    CarrierKey(name: "linger-ms", kind: .integer, applies: .http, help: "how long a partial batch waits for more", defaultValue: .int(5),
               smpp: nil, http: { s, v, k throws(ConfigError) in s.lingerMs = Int64(try int(v, k, 0...60_000)) }),
    CarrierKey(name: "max-in-flight", kind: .integer, applies: .http, help: "requests in flight at once (keep-alive connections)", defaultValue: .int(8),
               smpp: nil, http: { s, v, k throws(ConfigError) in s.maxInFlight = try int(v, k, 1...1_000) }),
    CarrierKey(name: "timeout-ms", kind: .integer, applies: .http, help: "a request unanswered this long is retried", defaultValue: .int(10_000),
               smpp: nil, http: { s, v, k throws(ConfigError) in s.timeoutMs = Int64(try int(v, k, msRange)) }),
    CarrierKey(name: "retry-initial-ms", kind: .integer, applies: .http, help: "first retry delay after a 5xx, 429, timeout or connection error; doubles, with jitter", defaultValue: .int(500),
               smpp: nil, http: { s, v, k throws(ConfigError) in s.retry.initialMs = Int64(try int(v, k, msRange)) }),
    CarrierKey(name: "retry-max-ms", kind: .integer, applies: .http, help: "longest retry delay", defaultValue: .int(30_000),
               smpp: nil, http: { s, v, k throws(ConfigError) in s.retry.maximumMs = Int64(try int(v, k, msRange)) }),
    CarrierKey(name: "breaker-failures", kind: .integer, applies: .both, help: "consecutive failures that open the circuit (traffic goes to the route's next carrier)", defaultValue: .int(5),
               smpp: { s, v, k throws(ConfigError) in s.breaker.failures = try int(v, k, 1...10_000) },
               http: { s, v, k throws(ConfigError) in s.breaker.failures = try int(v, k, 1...10_000) }),
    CarrierKey(name: "breaker-open-ms", kind: .integer, applies: .both, help: "how long an open circuit waits before a trial", defaultValue: .int(10_000),
               smpp: { s, v, k throws(ConfigError) in s.breaker.openMs = Int64(try int(v, k, msRange)) },
               http: { s, v, k throws(ConfigError) in s.breaker.openMs = Int64(try int(v, k, msRange)) }),
]

/// Keys of a `[[route]]` table.
let routeKeys: [(name: String, kind: ConfigKey.Kind, help: String)] = [
    ("accounts", .stringArray, "system_ids it applies to; none: every account"),
    ("prefixes", .stringArray, "destination prefixes (digits, optional '+'); none: every destination; the longest match wins"),
    ("carriers", .stringArray, "carrier names, the primary first, then the failover order (required; \"simulator\" is always there)"),
]

enum UpstreamConfig {
    /// Reads the `[[carrier]]` array: upstream carriers into `config`, the simulator's keys
    /// through the `[carrier]` keys.
    static func carriers(_ array: TOMLArray, into config: inout DaemonConfig, known: [String: ConfigKey],
                         convert: (TOMLValueConvertible, ConfigKey.Kind, String) throws(ConfigError) -> ConfigValue) throws(ConfigError) {
        var names: Set<String> = []
        var simulators = 0
        for (i, element) in array.enumerated() {
            guard let table = element.table else { throw ConfigError(key: "carrier[\(i)]", problem: "must be a table") }
            guard let name = table["name"]?.string, !name.isEmpty, name.utf8.count <= 64 else {
                throw ConfigError(key: "carrier[\(i)].name", problem: "required, 1…64 characters")
            }
            let prefix = "carrier[\(i)] (\(name))"
            guard let kind = table["kind"]?.string else {
                throw ConfigError(key: "\(prefix).kind", problem: "required: \"simulator\", \"smpp\" or \"http\"")
            }
            guard names.insert(name).inserted else { throw ConfigError(key: "\(prefix).name", problem: "duplicate carrier name") }
            switch kind {
            case "simulator":
                guard name == CarrierDefinition.simulatorName else {
                    throw ConfigError(key: "\(prefix).name", problem: "the simulator's name is \"simulator\"")
                }
                simulators += 1
                for (k, v) in table where k != "name" && k != "kind" {
                    guard let key = known["carrier.\(k)"] else { throw ConfigError(key: "\(prefix).\(k)", problem: "unknown key for a simulator") }
                    try key.apply(&config, try convert(v, key.kind, "\(prefix).\(k)"))
                }
            case "smpp", "http":
                guard name != CarrierDefinition.simulatorName else {
                    throw ConfigError(key: "\(prefix).name", problem: "\"simulator\" is the simulator's name")
                }
                var smpp = SMPPUpstreamSettings()
                var http = HTTPUpstreamSettings()
                let isSMPP = kind == "smpp"
                for (k, v) in table where k != "name" && k != "kind" {
                    let full = "\(prefix).\(k)"
                    guard let key = carrierKeys.first(where: { $0.name == k }),
                          isSMPP ? key.smpp != nil : key.http != nil else {
                        throw ConfigError(key: full, problem: "unknown key for a carrier of kind \(kind)")
                    }
                    let value = try convert(v, key.kind, full)
                    if isSMPP, let apply = key.smpp {
                        try apply(&smpp, value, full)
                    } else if let apply = key.http {
                        try apply(&http, value, full)
                    }
                }
                if isSMPP {
                    guard !smpp.systemID.isEmpty else { throw ConfigError(key: "\(prefix).system-id", problem: "required") }
                    config.messaging.carriers.append(CarrierDefinition(name: name, kind: .smpp(smpp)))
                } else {
                    guard !http.url.isEmpty else { throw ConfigError(key: "\(prefix).url", problem: "required") }
                    if (http.username == nil) != (http.password == nil) {
                        throw ConfigError(key: "\(prefix).username", problem: "basic auth needs both username and password")
                    }
                    config.messaging.carriers.append(CarrierDefinition(name: name, kind: .http(http)))
                }
            default:
                throw ConfigError(key: "\(prefix).kind", problem: "must be \"simulator\", \"smpp\" or \"http\", got \"\(kind)\"")
            }
        }
        if simulators > 1 { throw ConfigError(key: "carrier", problem: "at most one carrier of kind simulator") }
    }

    static func routes(_ array: TOMLArray, into config: inout DaemonConfig,
                       convert: (TOMLValueConvertible, ConfigKey.Kind, String) throws(ConfigError) -> ConfigValue) throws(ConfigError) {
        for (i, element) in array.enumerated() {
            guard let table = element.table else { throw ConfigError(key: "route[\(i)]", problem: "must be a table") }
            var values: [String: [String]] = [:]
            for (k, v) in table {
                guard let key = routeKeys.first(where: { $0.name == k }) else {
                    throw ConfigError(key: "route[\(i)].\(k)", problem: "unknown key (known: accounts, prefixes, carriers)")
                }
                if case .strings(let s) = try convert(v, key.kind, "route[\(i)].\(k)") { values[k] = s }
            }
            guard let carriers = values["carriers"], !carriers.isEmpty else {
                throw ConfigError(key: "route[\(i)].carriers", problem: "required: at least one carrier name")
            }
            config.messaging.routes.append(RouteDefinition(accounts: values["accounts"] ?? [], prefixes: values["prefixes"] ?? [],
                                                           carriers: carriers))
        }
    }

    /// Checks that every route names known carriers (the same check the daemon makes at start).
    static func validate(_ config: DaemonConfig) throws(ConfigError) {
        let names = config.messaging.carriers.compactMap { def -> String? in
            if case .simulator = def.kind { return nil }
            return def.name
        }
        do {
            _ = try RouteTable(routes: config.messaging.routes, carrierNames: names)
        } catch {
            throw ConfigError(key: error.key, problem: error.problem)
        }
        if !config.messaging.carriers.isEmpty && config.messaging.routes.isEmpty {
            throw ConfigError(key: "route", problem: "[[carrier]] sections need at least one [[route]] that uses them")
        }
    }
}
