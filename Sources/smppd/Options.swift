// The command line (stable: scripts and tests outside the project rely on it). Flags override
// the config file; `--account` adds accounts on top of the file's.
import ArgumentParser
import SMSC

struct ServeOptions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smppd",
        abstract: "An SMPP v3.4 server (SMSC) over TLS, on libev and OpenSSL.",
        discussion: """
        Other commands:
          smppd hash-password    read a password on stdin, print a password-hash for [[account]]

        Config file keys (TOML; flags win over the file):
        \(configKeys.map { "  [\($0.name.split(separator: ".")[0])] \($0.name.split(separator: ".")[1]) (\($0.kind.rawValue)): \($0.help)" }.joined(separator: "\n"))
        \(accountKeys.map { "  [[account]] \($0.name) (\($0.kind.rawValue)): \($0.help)" }.joined(separator: "\n"))
        """
    )

    @Option(name: .long, help: "TOML config file (see below); re-read on SIGHUP")
    var config: String?

    @Option(name: .long, help: "HOST:PORT of the TLS SMPP listener (default 127.0.0.1:2775)")
    var listen: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate; without it a self-signed pair is generated in the data directory")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert")
    var tlsKey: String?

    @Option(name: .customLong("data-dir"), help: "directory for the certificate, demo password and state (default ./var)")
    var dataDir: String?

    @Flag(name: .long, help: "keep message state in memory only (load tests)")
    var memory = false

    @Option(name: .long, help: "add an account SYSTEM_ID:PASSWORD[:DEFAULT_NUMBER] (repeatable; all bind modes, 8 sessions)")
    var account: [String] = []

    @Option(name: .customLong("plaintext-listen"), help: "HOST:PORT of an extra PLAINTEXT listener, for local load tests only")
    var plaintextListen: String?

    @Option(name: .long, help: "HOST:PORT of the admin/metrics listener (default 127.0.0.1:8775)")
    var admin: String?

    @Option(name: .customLong("log-level"), help: "trace|debug|info|notice|warning|error|critical (default info)")
    var logLevel: String?

    /// Accounts given with `--account`.
    func flagAccounts() throws(ConfigError) -> [Account] {
        var out: [Account] = []
        for spec in account {
            let parts = spec.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2, !parts[0].isEmpty, parts[0].utf8.count <= 15, !parts[1].isEmpty else {
                throw ConfigError(key: "--account", problem: "\"\(spec)\" is not SYSTEM_ID:PASSWORD[:DEFAULT_NUMBER] (system_id 1…15 characters)")
            }
            var number: String? = nil
            if parts.count == 3 {
                guard isE164(parts[2]) else {
                    throw ConfigError(key: "--account", problem: "\"\(parts[2])\" is not an E.164 number")
                }
                number = parts[2]
            }
            out.append(Account(systemID: parts[0], password: .plaintext(Array(parts[1].utf8)),
                               numbers: number.map { [$0] } ?? [], defaultNumber: number))
        }
        return out
    }

    /// Flags on top of a config.
    func apply(to base: DaemonConfig) throws(ConfigError) -> DaemonConfig {
        var c = base
        if let v = listen { c.listen = v }
        if let v = tlsCert { c.tlsCert = v }
        if let v = tlsKey { c.tlsKey = v }
        if let v = dataDir { c.dataDir = v }
        if memory { c.memory = true }
        if let v = plaintextListen { c.plaintextListen = v.isEmpty ? nil : v }
        if let v = admin { c.admin = v }
        if let v = logLevel {
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(v) else {
                throw ConfigError(key: "--log-level", problem: "\"\(v)\" is not trace|debug|info|notice|warning|error|critical")
            }
            c.logLevel = v
        }
        if (c.tlsCert == nil) != (c.tlsKey == nil) {
            throw ConfigError(key: "--tls-cert/--tls-key", problem: "give both the certificate and the key, or neither")
        }
        return c
    }
}
