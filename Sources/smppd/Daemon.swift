// Wiring: config and flags → logger, TLS context, accounts, the loop, the SMSC server, signal
// watchers. No protocol logic lives here. Runs on the main thread, which becomes the loop thread.
#if canImport(Glibc)
import Glibc
#endif

import Admin
import Cluster
import Journal
import Logging
import Reactor
import SMSC
import Store
import Upstream

enum Daemon {
    /// Exit codes from sysexits.h, so scripts can tell a config mistake from a crash.
    static let exitConfigError: Int32 = 78
    static let exitSoftwareError: Int32 = 70

    static func run(_ options: ServeOptions) -> Int32 {
        let config: DaemonConfig
        let flagAccounts: [Account]
        do {
            config = try loadConfig(options)
            flagAccounts = try options.flagAccounts()
        } catch {
            writeStderr("smppd: \(error)")
            return exitConfigError
        }
        let level = Logger.Level(rawValue: config.logLevel) ?? .info
        LoggingSystem.bootstrap { _ in LogfmtHandler(level: level) }
        let logger = Logger(label: "smppd")

        do {
            return try serve(config: config, flagAccounts: flagAccounts, options: options, logger: logger)
        } catch let e as ConfigError {
            logger.critical("startup-failed", metadata: ["error": "\(e)"])
            return exitConfigError
        } catch {
            logger.critical("startup-failed", metadata: ["error": "\(error)"])
            return exitSoftwareError
        }
    }

    static func loadConfig(_ options: ServeOptions) throws(ConfigError) -> DaemonConfig {
        var config = DaemonConfig()
        if let path = options.config { config = try ConfigFile.load(path: path, into: config) }
        return try options.apply(to: config)
    }

    static func endpoint(_ text: String, key: String) throws(ConfigError) -> Endpoint {
        guard let e = Endpoint(parsing: text) else {
            throw ConfigError(key: key, problem: "\"\(text)\" is not HOST:PORT")
        }
        return e
    }

    private static func serve(config: DaemonConfig, flagAccounts: [Account], options: ServeOptions, logger: Logger) throws -> Int32 {
        let listen = try endpoint(config.listen, key: "server.listen / --listen")
        let plaintext = try config.plaintextListen.map { try endpoint($0, key: "server.plaintext-listen / --plaintext-listen") }
        let adminEndpoint = try endpoint(config.admin, key: "server.admin / --admin")
        if config.adminToken == nil && !isLoopback(adminEndpoint.host) {
            throw ConfigError(key: "server.admin-token",
                              problem: "required when the admin address (\(config.admin)) is not a loopback address")
        }
        guard makeDirectories(config.dataDir) else {
            throw ConfigError(key: "server.data-dir / --data-dir", problem: "cannot create \(config.dataDir): \(errnoText())")
        }
        Sys.raiseFileLimit()

        let tls = try tlsContext(config, logger: logger)
        var accounts = config.accounts + flagAccounts
        if accounts.isEmpty { accounts = [try demoAccount(dataDir: config.dataDir, logger: logger)] }
        let loop = try EventLoop()
        let server = SMSCServer(loop: loop, settings: config.smsc, messaging: config.messaging, accounts: accounts, logger: logger)
        let workers = server.carrierWorkersRunning
        guard workers.count > 0 else {
            throw ReactorError.system(call: "pthread_create (carrier workers)", errno: workers.error ?? 0)
        }
        do {
            try server.enableForwarding(factory: Carriers.factory(logger: logger, idFormat: config.messaging.idFormat))
        } catch {
            throw ConfigError(key: error.key, problem: error.problem)
        }
        if let settings = try clusterSettings(config) {
            server.enableCluster(settings)
        } else if config.clusterShipLog {
            throw ConfigError(key: "cluster.ship-log", problem: "needs cluster.redis or cluster.sentinels (the log is shipped to the cluster's Redis)")
        }
        if config.memory {
            logger.notice("memory-mode", metadata: [
                "note": "message state is kept in memory only: every message, receipt and MO is lost on exit or kill -9"])
        } else {
            try openStore(server: server, config: config, logger: logger)
        }
        var adminServer: AdminServer? = nil
        // Signals first: a test (or systemd) may signal as soon as it sees the listening line.
        var signals: [SignalWatcher] = []
        for sig in [SIGTERM, SIGINT] {
            signals.append(SignalWatcher(loop: loop, signal: sig) {
                logger.info("signal", metadata: ["signal": "\(sig == SIGTERM ? "SIGTERM" : "SIGINT")"])
                server.shutdown {
                    adminServer?.stop()
                    loop.stop()
                }
            })
        }
        signals.append(SignalWatcher(loop: loop, signal: SIGHUP) {
            reload(options: options, server: server, logger: logger)
        })
        // The TLS listener's line comes last: once it is logged, everything is up.
        let admin = try AdminServer(loop: loop, endpoint: adminEndpoint, token: config.adminToken,
                                    waitForDurable: server.durableWaiter) { request in
            server.handleAdmin(request)
        }
        adminServer = admin
        logger.info("listening", metadata: ["proto": "admin", "addr": "\(admin.boundEndpoint)"])
        if let plaintext {
            let p = try Daemon.listen(server, ListenerSpec(endpoint: plaintext, tls: nil, reusePort: config.reusePort))
            logger.warning("listening", metadata: ["proto": "plaintext", "addr": "\(p)",
                "warning": "PLAINTEXT SMPP: passwords and messages cross the network unencrypted; for local load tests only"])
        }
        let bound = try Daemon.listen(server, ListenerSpec(endpoint: listen, tls: tls, reusePort: config.reusePort))
        var tlsLine: Logger.Metadata = ["proto": "tls", "addr": "\(bound)"]
        if config.reusePort { tlsLine["reuse_port"] = "true" }
        if !config.smsc.proxyProtocolFrom.isEmpty {
            tlsLine["proxy_protocol_from"] = "\(config.smsc.proxyProtocolFrom.map(\.description).joined(separator: ","))"
        }
        logger.info("listening", metadata: tlsLine)

        loop.run()
        for s in signals { s.cancel() }
        logger.info("exit", metadata: ["status": "0"])
        return 0
    }

    /// Opens an SMPP listener; a port another process holds gets an error that says what to do.
    private static func listen(_ server: SMSCServer, _ spec: ListenerSpec) throws -> Endpoint {
        do {
            return try server.listen(spec)
        } catch let ReactorError.system(call, code) where code == EADDRINUSE {
            throw AddressInUse(endpoint: spec.endpoint, call: call, reusePort: spec.reusePort)
        }
    }

    /// The `[cluster]` table as the SMSC takes it (nil: neither `redis` nor `sentinels`, the
    /// node runs alone); the Redis host, or each sentinel's, is looked up once, here.
    private static func clusterSettings(_ config: DaemonConfig) throws -> ClusterSettings? {
        func resolve(_ text: String, key: String) throws -> Endpoint {
            guard let e = Endpoint(parsing: text) else { throw ConfigError(key: key, problem: "must be host:port, got \"\(text)\"") }
            do {
                return try e.resolved()
            } catch {
                throw ConfigError(key: key, problem: "cannot resolve \(e.host): \(error)")
            }
        }
        var s: ClusterSettings
        switch (config.clusterRedis, config.clusterSentinels.isEmpty ? nil : config.clusterSentinels) {
        case (nil, nil):
            return nil
        case (.some, .some):
            throw ConfigError(key: "cluster.sentinels", problem: "give either cluster.redis (one server) or cluster.sentinels (find the primary through Sentinel), not both")
        case (.some(let redis), nil):
            let resolved = try resolve(redis, key: "cluster.redis")
            s = ClusterSettings(node: config.clusterNode, redisHost: resolved.host, redisPort: Int(resolved.port))
        case (nil, .some(let sentinels)):
            let resolved = try sentinels.map { try resolve($0, key: "cluster.sentinels") }
            s = ClusterSettings(node: config.clusterNode, sentinels: resolved,
                                masterName: config.clusterMasterName)
        }
        s.waitReplicas = config.clusterWaitReplicas
        s.keyPrefix = config.clusterKeyPrefix
        s.leaseMs = Int64(config.clusterLeaseMs)
        s.creditBlock = config.clusterCreditBlock
        s.commandTimeoutMs = Int64(config.clusterCommandTimeoutMs)
        s.shipLog = config.clusterShipLog
        s.shipWaitReplicas = config.clusterShipWaitReplicas
        if s.shipLog && config.memory {
            throw ConfigError(key: "cluster.ship-log",
                              problem: "needs the durable store (it ships the journal's batches); --memory / server.memory keeps no journal")
        }
        return s
    }

    /// SIGHUP: re-read the config file for accounts, limits and the certificate; keep sessions.
    private static func reload(options: ServeOptions, server: SMSCServer, logger: Logger) {
        do {
            let config = try loadConfig(options)
            var accounts = config.accounts + (try options.flagAccounts())
            if accounts.isEmpty { accounts = [try demoAccount(dataDir: config.dataDir, logger: logger)] }
            let tls = try tlsContext(config, logger: logger)
            server.reload(accounts: accounts, settings: config.smsc, tls: tls)
        } catch {
            logger.error("reload-failed", metadata: ["error": "\(error)", "note": "keeping the previous configuration"])
        }
    }

    /// The configured PEM pair, or a self-signed one generated into the data directory (C-TLS-2).
    private static func tlsContext(_ config: DaemonConfig, logger: Logger) throws -> TLSServerContext {
        if let cert = config.tlsCert, let key = config.tlsKey {
            let context = try TLSServerContext(certificatePEMPath: cert, privateKeyPEMPath: key)
            logger.info("tls-certificate", metadata: ["source": "configured", "cert": "\(cert)",
                                                      "fingerprint": "\(context.fingerprintSHA256)"])
            return context
        }
        let made = try TLSServerContext.loadOrCreateSelfSigned(directory: config.dataDir, commonName: "smppd")
        logger.info("tls-certificate", metadata: ["source": made.created ? "generated" : "reused",
                                                  "cert": "\(made.certificatePath)",
                                                  "fingerprint": "\(made.context.fingerprintSHA256)"])
        return made.context
    }

    /// The demo account's sending number: from 555-0100…0199, the range reserved for fiction,
    /// so a demo message never reaches a real subscriber. submit_sm with an empty source_addr
    /// sends from it.
    static let demoNumber = "+12025550142"

    /// The demo account used when no account is configured: password generated once, stored in
    /// the data directory (mode 0600) and printed only on the start that created it.
    /// Durable mode: replays the journal in <data-dir>/journal and starts its writer. A corrupt
    /// batch that is not the torn tail stops start-up (exit 70) naming file and offset.
    private static func openStore(server: SMSCServer, config: DaemonConfig, logger: Logger) throws {
        // RLIMIT_FSIZE turns a write past the limit into SIGXFSZ, which would kill the daemon;
        // ignored, the write fails with EFBIG and the journal treats it as a full disk.
        signal(SIGXFSZ, SIG_IGN)
        let directory = config.dataDir + "/journal"
        let journal = JournalConfiguration(directory: directory, fsync: FsyncPolicy(rawValue: config.storeFsync) ?? .always,
                                           segmentBytes: config.storeSegmentMB << 20, writerNice: config.storeWriterNice)
        let summary: JournalRecoverySummary
        do {
            summary = try server.openDurableStore(journal)
        } catch let e as JournalCorruption {
            throw StoreStartError(problem: "corrupt journal: \(e). Records after it cannot be trusted; to start anyway, keep a copy of the file, then cut it at that offset (truncate -s \(e.offset) \(e.path)) and restart: what was written after the offset is lost")
        } catch let e as StoreLogDecodingError {
            throw StoreStartError(problem: "journal entry does not decode: \(e) (written by another version?)")
        }
        var metadata: Logger.Metadata = [
            "dir": "\(directory)", "fsync": "\(journal.fsync.rawValue)", "records": "\(summary.records)",
            "live": "\(summary.liveRecords)", "pending_receipts": "\(summary.pendingReceipts)", "pending_mo": "\(summary.pendingMO)",
            "bytes": "\(summary.bytes)", "segments": "\(summary.segments)", "ms": "\(summary.milliseconds)",
        ]
        if summary.receiptsWithoutRecord > 0 { metadata["receipts_without_record"] = "\(summary.receiptsWithoutRecord)" }
        if let tail = summary.truncatedTail { metadata["torn_tail_cut"] = "\(tail)" }
        logger.info("store-recovered", metadata: metadata)
    }

    private static func demoAccount(dataDir: String, logger: Logger) throws -> Account {
        let path = dataDir + "/demo-password"
        if let stored = readTextFile(path)?.split(whereSeparator: \.isNewline).first, !stored.isEmpty {
            return Account(systemID: "demo", password: .plaintext(Array(stored.utf8)), defaultNumber: demoNumber)
        }
        guard let password = PasswordHash.randomPassword(), writeNewFile(path, password + "\n", mode: 0o600) else {
            throw ConfigError(key: "server.data-dir", problem: "cannot write \(path): \(errnoText())")
        }
        logger.notice("demo-account", metadata: ["system_id": "demo", "password": "\(password)", "number": "\(demoNumber)",
            "stored": "\(path)",
            "note": "printed once; configure [[account]] or --account to replace the demo account"])
        return Account(systemID: "demo", password: .plaintext(Array(password.utf8)), defaultNumber: demoNumber)
    }
}

/// 127.0.0.0/8, ::1 and localhost: admin addresses that need no token.
func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
}

/// An SMPP listener's address is taken (exit 70). With reuse-port on, the holder did not set it.
struct AddressInUse: Error, CustomStringConvertible {
    var endpoint: Endpoint
    var call: String
    var reusePort: Bool
    var description: String {
        let hint = reusePort
            ? "the process holding it does not set SO_REUSEPORT: give every smppd sharing the port [server] reuse-port = true"
            : "another process listens there; stop it, pick another port, or set [server] reuse-port = true in every smppd that shares it"
        return "address in use: \(endpoint) (\(call): \(Sys.describe(errno: EADDRINUSE))); \(hint)"
    }
}

/// Durable mode could not start: the journal is unreadable or corrupt (exit 70).
struct StoreStartError: Error, CustomStringConvertible {
    var problem: String
    var description: String { "store: \(problem)" }
}
