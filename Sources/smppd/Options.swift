// The command line (stable: scripts and tests outside the project rely on it). Flags override
// the config file; `--account` adds accounts on top of the file's.
import ArgumentParser
import SMSC

struct ServeOptions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smppd",
        abstract: "An SMPP v3.4 server (SMSC) over TLS, on libev and OpenSSL.",
        usage: """
        smppd [--config FILE] [--listen HOST:PORT] [--admin HOST:PORT]
              [--tls-cert PEM --tls-key PEM] [--data-dir DIR] [--memory]
              [--account ID:PASSWORD[:NUMBER]]... [--plaintext-listen HOST:PORT]
              [--log-level LEVEL]
        smppd hash-password < file-with-the-password
        smppd print-config > smppd.toml
        """,
        discussion: ConfigDocs.helpDiscussion
    )

    @Option(name: .long, help: ArgumentHelp("TOML config file (see below); re-read on SIGHUP", valueName: "FILE"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("HOST:PORT of the TLS SMPP listener (default 127.0.0.1:2775)", valueName: "HOST:PORT"))
    var listen: String?

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("PEM certificate; without it a self-signed pair is generated in the data directory", valueName: "PEM"))
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("PEM private key for --tls-cert", valueName: "PEM"))
    var tlsKey: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("directory for the generated TLS certificate and the demo password (default ./var)", valueName: "DIR"))
    var dataDir: String?

    @Flag(name: .long, help: "keep message state in memory only: nothing survives a restart (load tests); without it, messages are kept in the journal in DIR/journal")
    var memory = false

    @Option(name: .long, help: ArgumentHelp("add an account (repeatable; all bind modes, 8 sessions, unlimited credits); NUMBER is its default sending number", valueName: "ID:PASSWORD[:NUMBER]"))
    var account: [String] = []

    @Option(name: .customLong("plaintext-listen"), help: ArgumentHelp("HOST:PORT of an extra PLAINTEXT listener, for local load tests only", valueName: "HOST:PORT"))
    var plaintextListen: String?

    @Option(name: .long, help: ArgumentHelp("HOST:PORT of the admin/metrics listener (default 127.0.0.1:8775)", valueName: "HOST:PORT"))
    var admin: String?

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace|debug|info|notice|warning|error|critical (default info)", valueName: "LEVEL"))
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
                guard E164.isValid(parts[2]) else {
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
