// The one table of configuration keys: the TOML reader, `--help` and every error message come
// from it, so they cannot disagree (ksmppd's smpp_server_cfg.def idea). Main thread only.
import Journal
import Reactor
import SMSC
import Store

/// Where the daemon's settings end up after config file and flags are merged.
struct DaemonConfig {
    var listen = "127.0.0.1:2775"
    var plaintextListen: String? = nil
    /// SO_REUSEPORT on the SMPP listeners (several processes on one port).
    var reusePort = false
    var admin = "127.0.0.1:8775"
    var dataDir = "./var"
    var memory = false
    /// [store]: what survives a power loss, the journal's segment size, its writer's nice value.
    var storeFsync = "always"
    var storeSegmentMB = 64
    /// The journal writer thread's nice value; nil: the daemon's + 5.
    var storeWriterNice: Int32? = nil
    var tlsCert: String? = nil
    var tlsKey: String? = nil
    var logLevel = "info"
    var adminToken: String? = nil
    var smsc = SMSCSettings()
    var messaging = MessagingSettings()
    /// Accounts from the config file (`[[account]]`); flag accounts are kept apart for SIGHUP.
    var accounts: [Account] = []
    /// [cluster] (issue 15): without `redis` or `sentinels` the node runs alone.
    var clusterRedis: String? = nil
    var clusterSentinels: [String] = []
    var clusterMasterName = "mymaster"
    var clusterWaitReplicas = 0
    var clusterNode = 0
    var clusterKeyPrefix = "smppd"
    var clusterLeaseMs = 5_000
    var clusterCreditBlock = 500
    var clusterCommandTimeoutMs = 2_000
    var clusterShipLog = false
    var clusterShipWaitReplicas = 0
}

/// A value read from TOML, already reduced to the kinds our keys use.
enum ConfigValue {
    case string(String), int(Int), bool(Bool), strings([String])
}

/// What went wrong, always naming the key (C-OPS-1).
struct ConfigError: Error, CustomStringConvertible {
    var key: String
    var problem: String
    var description: String { "config: \(key): \(problem)" }
}

/// One known key: name, expected kind, help line, how to read it back out of a config (its
/// default is `get(DaemonConfig())`, so `--help` and `print-config` show the real one) and how
/// it lands in the config.
struct ConfigKey: Sendable {
    enum Kind: String { case string, integer, boolean, stringArray = "array of strings" }
    let name: String
    let kind: Kind
    let help: String
    /// nil: the key has no value unless set (its help says what happens then).
    let get: @Sendable (DaemonConfig) -> ConfigValue?
    let apply: @Sendable (inout DaemonConfig, ConfigValue) throws(ConfigError) -> Void
}

private func ms(_ d: Duration) -> ConfigValue {
    let (s, atto) = d.components
    return .int(Int(s) * 1000 + Int(atto / 1_000_000_000_000_000))
}

private func milliseconds(_ key: String, _ v: Int) throws(ConfigError) -> Duration {
    guard v > 0, v <= 86_400_000 else { throw ConfigError(key: key, problem: "must be 1…86400000 ms, got \(v)") }
    return .milliseconds(v)
}

private func positive(_ key: String, _ v: Int, max: Int = Int(Int32.max)) throws(ConfigError) -> Int {
    guard v > 0, v <= max else { throw ConfigError(key: key, problem: "must be 1…\(max), got \(v)") }
    return v
}

private func millisecondsInt(_ key: String, _ v: Int) throws(ConfigError) -> Int64 {
    guard v > 0, v <= 31_536_000_000 else { throw ConfigError(key: key, problem: "must be 1…31536000000 ms, got \(v)") }
    return Int64(v)
}

private func nonNegativeMs(_ key: String, _ v: Int) throws(ConfigError) -> Int64 {
    guard v >= 0, v <= 86_400_000 else { throw ConfigError(key: key, problem: "must be 0…86400000 ms, got \(v)") }
    return Int64(v)
}

private func weight(_ key: String, _ v: Int) throws(ConfigError) -> Int {
    guard v >= 0, v <= 1_000_000 else { throw ConfigError(key: key, problem: "must be 0…1000000, got \(v)") }
    return v
}

private let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

/// Keys of the top-level tables (`[server]`, `[timeouts]`, `[auth]`).
let configKeys: [ConfigKey] = [
    ConfigKey(name: "server.listen", kind: .string, help: "HOST:PORT of the TLS SMPP listener", get: { c in .string(c.listen) }) { c, v in
        if case .string(let s) = v { c.listen = s } },
    ConfigKey(name: "server.plaintext-listen", kind: .string, help: "HOST:PORT of a PLAINTEXT SMPP listener for local load tests; empty = off", get: { c in .string(c.plaintextListen ?? "") }) { c, v in
        if case .string(let s) = v { c.plaintextListen = s.isEmpty ? nil : s } },
    ConfigKey(name: "server.proxy-protocol-from", kind: .stringArray, help: "addresses or CIDR prefixes of TCP balancers (e.g. [\"10.0.0.0/8\"]); a connection from one must start with a PROXY v2 header (read before TLS), whose client address then counts for allowed-ips, lock-outs and logs; empty = off", get: { c in .strings(c.smsc.proxyProtocolFrom.map(\.description)) }) { c, v throws(ConfigError) in
        if case .strings(let list) = v {
            var prefixes: [AddressPrefix] = []
            for text in list {
                do { prefixes.append(try AddressPrefix(parsing: text)) } catch {
                    throw ConfigError(key: "server.proxy-protocol-from", problem: "\(error)")
                }
            }
            c.smsc.proxyProtocolFrom = prefixes
        } },
    ConfigKey(name: "server.reuse-port", kind: .boolean, help: "SO_REUSEPORT on the SMPP listeners: several smppd processes (each with its own data-dir) share the port; every one must set it", get: { c in .bool(c.reusePort) }) { c, v in
        if case .bool(let b) = v { c.reusePort = b } },
    ConfigKey(name: "server.admin", kind: .string, help: "HOST:PORT of the admin/metrics HTTP listener", get: { c in .string(c.admin) }) { c, v in
        if case .string(let s) = v { c.admin = s } },
    ConfigKey(name: "server.data-dir", kind: .string, help: "directory for the generated TLS certificate, the demo password and the message journal (journal/)", get: { c in .string(c.dataDir) }) { c, v in
        if case .string(let s) = v { c.dataDir = s } },
    ConfigKey(name: "server.memory", kind: .boolean, help: "keep message state in memory only: nothing survives a restart (load tests); off: the durable journal in data-dir", get: { c in .bool(c.memory) }) { c, v in
        if case .bool(let b) = v { c.memory = b } },
    ConfigKey(name: "server.tls-cert", kind: .string, help: "PEM certificate (chain) file; empty = generated self-signed", get: { c in .string(c.tlsCert ?? "") }) { c, v in
        if case .string(let s) = v { c.tlsCert = s.isEmpty ? nil : s } },
    ConfigKey(name: "server.tls-key", kind: .string, help: "PEM private key file", get: { c in .string(c.tlsKey ?? "") }) { c, v in
        if case .string(let s) = v { c.tlsKey = s.isEmpty ? nil : s } },
    ConfigKey(name: "server.log-level", kind: .string, help: "trace|debug|info|notice|warning|error|critical", get: { c in .string(c.logLevel) }) { c, v throws(ConfigError) in
        guard case .string(let s) = v, logLevels.contains(s) else {
            throw ConfigError(key: "server.log-level", problem: "must be one of \(logLevels.joined(separator: ", "))")
        }
        c.logLevel = s },
    ConfigKey(name: "server.system-id", kind: .string, help: "our system_id in bind responses", get: { c in .string(c.smsc.systemID) }) { c, v throws(ConfigError) in
        guard case .string(let s) = v, !s.isEmpty, s.utf8.count <= 15 else {
            throw ConfigError(key: "server.system-id", problem: "must be 1…15 characters")
        }
        c.smsc.systemID = s },
    ConfigKey(name: "server.max-pdu-bytes", kind: .integer, help: "largest PDU accepted, 64…65536 (one with message_payload may be up to 70 KiB)", get: { c in .int(c.smsc.maxPDUBytes) }) { c, v throws(ConfigError) in
        if case .int(let n) = v {
            guard n >= 64, n <= 65_536 else { throw ConfigError(key: "server.max-pdu-bytes", problem: "must be 64…65536, got \(n)") }
            c.smsc.maxPDUBytes = n
        } },
    ConfigKey(name: "timeouts.handshake-ms", kind: .integer, help: "TLS handshake timeout", get: { c in ms(c.smsc.handshakeTimeout) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.smsc.handshakeTimeout = try milliseconds("timeouts.handshake-ms", n) } },
    ConfigKey(name: "timeouts.bind-ms", kind: .integer, help: "close connections not bound after this long", get: { c in ms(c.smsc.bindTimeout) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.smsc.bindTimeout = try milliseconds("timeouts.bind-ms", n) } },
    ConfigKey(name: "timeouts.inactivity-ms", kind: .integer, help: "close sessions that sent no PDU for this long", get: { c in ms(c.smsc.inactivityTimeout) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.smsc.inactivityTimeout = try milliseconds("timeouts.inactivity-ms", n) } },
    ConfigKey(name: "timeouts.keepalive-ms", kind: .integer, help: "send enquire_link after this much idle time", get: { c in ms(c.smsc.keepaliveInterval) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.smsc.keepaliveInterval = try milliseconds("timeouts.keepalive-ms", n) } },
    ConfigKey(name: "timeouts.response-ms", kind: .integer, help: "wait this long for answers to our PDUs", get: { c in ms(c.smsc.responseTimeout) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.smsc.responseTimeout = try milliseconds("timeouts.response-ms", n) } },
    ConfigKey(name: "timeouts.shutdown-ms", kind: .integer, help: "on SIGTERM, wait this long for unbind_resp", get: { c in ms(c.smsc.shutdownTimeout) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.smsc.shutdownTimeout = try milliseconds("timeouts.shutdown-ms", n) } },
    ConfigKey(name: "auth.failure-delay-ms", kind: .integer, help: "delay before answering a failed bind", get: { c in ms(c.smsc.bindFailures.failureDelay) }) { c, v throws(ConfigError) in
        if case .int(let n) = v {
            guard n >= 0, n <= 60_000 else { throw ConfigError(key: "auth.failure-delay-ms", problem: "must be 0…60000, got \(n)") }
            c.smsc.bindFailures.failureDelay = .milliseconds(n)
        } },
    ConfigKey(name: "auth.max-failures", kind: .integer, help: "failed binds from one IP within failure-window-ms that lock it out", get: { c in .int(c.smsc.bindFailures.maxFailures) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.smsc.bindFailures.maxFailures = try positive("auth.max-failures", n, max: 1_000_000) } },
    ConfigKey(name: "auth.failure-window-ms", kind: .integer, help: "window for counting failed binds", get: { c in ms(c.smsc.bindFailures.window) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.smsc.bindFailures.window = try milliseconds("auth.failure-window-ms", n) } },
    ConfigKey(name: "auth.lockout-ms", kind: .integer, help: "how long a locked-out IP gets ESME_RBINDFAIL", get: { c in ms(c.smsc.bindFailures.lockout) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.smsc.bindFailures.lockout = try milliseconds("auth.lockout-ms", n) } },
    ConfigKey(name: "server.admin-token", kind: .string, help: "bearer token every admin request must carry; required for a non-loopback admin address", get: { c in .string(c.adminToken ?? "") }) { c, v in
        if case .string(let s) = v { c.adminToken = s.isEmpty ? nil : s } },
    ConfigKey(name: "server.message-id-format", kind: .string, help: "hex | upper-hex | decimal", get: { c in .string(c.messaging.idFormat.rawValue) }) { c, v throws(ConfigError) in
        guard case .string(let s) = v, let f = MessageIDFormat(rawValue: s) else {
            throw ConfigError(key: "server.message-id-format", problem: "must be hex, upper-hex or decimal")
        }
        c.messaging.idFormat = f },
    ConfigKey(name: "messages.retention-ms", kind: .integer, help: "final records are kept this long for query_sm", get: { c in .int(Int(c.messaging.retentionMs)) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.retentionMs = try millisecondsInt("messages.retention-ms", n) } },
    ConfigKey(name: "messages.max-records", kind: .integer, help: "message records kept at most; full of live ones → ESME_RMSGQFUL", get: { c in .int(c.messaging.maxRecords) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.maxRecords = try positive("messages.max-records", n, max: 100_000_000) } },
    ConfigKey(name: "messages.hold-ms", kind: .integer, help: "cancel window of ordinary numbers before they are forwarded", get: { c in .int(Int(c.messaging.carrier.defaultHoldMs)) }) { c, v throws(ConfigError) in
        if case .int(let n) = v {
            guard n >= 0, n <= 86_400_000 else { throw ConfigError(key: "messages.hold-ms", problem: "must be 0…86400000") }
            c.messaging.carrier.defaultHoldMs = Int64(n)
        } },
    ConfigKey(name: "messages.max-validity-ms", kind: .integer, help: "validity_period is capped at this", get: { c in .int(Int(c.messaging.maxValidityMs)) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.maxValidityMs = try millisecondsInt("messages.max-validity-ms", n) } },
    ConfigKey(name: "delivery.window", kind: .integer, help: "unanswered deliver_sm per session", get: { c in .int(c.messaging.deliveryWindow) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.deliveryWindow = try positive("delivery.window", n, max: 65_536) } },
    ConfigKey(name: "delivery.response-timeout-ms", kind: .integer, help: "no deliver_sm_resp by then: retried later", get: { c in .int(Int(c.messaging.deliveryResponseTimeoutMs)) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.deliveryResponseTimeoutMs = try millisecondsInt("delivery.response-timeout-ms", n) } },
    ConfigKey(name: "delivery.max-attempts", kind: .integer, help: "deliver_sm attempts before an item is dropped", get: { c in .int(c.messaging.deliveryMaxAttempts) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.deliveryMaxAttempts = try positive("delivery.max-attempts", n, max: 1000) } },
    ConfigKey(name: "delivery.retry-initial-ms", kind: .integer, help: "first retry backoff; doubles up to retry-max-ms", get: { c in .int(Int(c.messaging.retryInitialMs)) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.retryInitialMs = try millisecondsInt("delivery.retry-initial-ms", n) } },
    ConfigKey(name: "delivery.retry-max-ms", kind: .integer, help: "longest retry backoff", get: { c in .int(Int(c.messaging.retryMaxMs)) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.retryMaxMs = try millisecondsInt("delivery.retry-max-ms", n) } },
    ConfigKey(name: "delivery.queue-max", kind: .integer, help: "deliver_sm waiting per account", get: { c in .int(c.messaging.queueMax) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.queueMax = try positive("delivery.queue-max", n, max: 100_000_000) } },
    ConfigKey(name: "delivery.queue-max-age-ms", kind: .integer, help: "a waiting deliver_sm older than this is dropped", get: { c in .int(Int(c.messaging.queueMaxAgeMs)) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.queueMaxAgeMs = try millisecondsInt("delivery.queue-max-age-ms", n) } },
    ConfigKey(name: "carrier.workers", kind: .integer, help: "carrier worker threads", get: { c in .int(c.messaging.carrier.workers) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.carrier.workers = try positive("carrier.workers", n, max: 64) } },
    ConfigKey(name: "carrier.worker-nice", kind: .integer, help: "nice value of the carrier worker threads, -20…19 (default: the daemon's + 10, at most 19: on shared cores the loop thread that answers submit_sm wins the CPU); set it to the daemon's value (e.g. 0) for more MO auto-reply throughput on few cores; 19 can starve the carrier at peak (ESME_RMSGQFUL); below the daemon's needs CAP_SYS_NICE or RLIMIT_NICE", get: { c in c.messaging.carrier.workerNice.map { .int(Int($0)) } }) { c, v throws(ConfigError) in
        if case .int(let n) = v {
            guard (-20...19).contains(n) else { throw ConfigError(key: "carrier.worker-nice", problem: "must be between -20 and 19, got \(n)") }
            c.messaging.carrier.workerNice = Int32(n)
        } },
    ConfigKey(name: "carrier.seed", kind: .integer, help: "seed of the carrier's latency and outcome draws", get: { c in .int(Int(Int64(bitPattern: c.messaging.carrier.seed))) }) { c, v in
        if case .int(let n) = v { c.messaging.carrier.seed = UInt64(bitPattern: Int64(n)) } },
    ConfigKey(name: "carrier.latency-min-ms", kind: .integer, help: "shortest carrier latency", get: { c in .int(Int(c.messaging.carrier.latencyMinMs)) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.carrier.latencyMinMs = try nonNegativeMs("carrier.latency-min-ms", n) } },
    ConfigKey(name: "carrier.latency-median-ms", kind: .integer, help: "median carrier latency", get: { c in .int(Int(c.messaging.carrier.latencyMedianMs)) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.carrier.latencyMedianMs = try nonNegativeMs("carrier.latency-median-ms", n) } },
    ConfigKey(name: "carrier.latency-max-ms", kind: .integer, help: "longest carrier latency", get: { c in .int(Int(c.messaging.carrier.latencyMaxMs)) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.carrier.latencyMaxMs = try nonNegativeMs("carrier.latency-max-ms", n) } },
    ConfigKey(name: "carrier.delivered", kind: .integer, help: "weight of DELIVRD outcomes", get: { c in .int(c.messaging.carrier.weights.delivered) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.carrier.weights.delivered = try weight("carrier.delivered", n) } },
    ConfigKey(name: "carrier.undeliverable", kind: .integer, help: "weight of UNDELIV outcomes", get: { c in .int(c.messaging.carrier.weights.undeliverable) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.carrier.weights.undeliverable = try weight("carrier.undeliverable", n) } },
    ConfigKey(name: "carrier.expired", kind: .integer, help: "weight of EXPIRED outcomes", get: { c in .int(c.messaging.carrier.weights.expired) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.carrier.weights.expired = try weight("carrier.expired", n) } },
    ConfigKey(name: "carrier.rejected", kind: .integer, help: "weight of REJECTD outcomes", get: { c in .int(c.messaging.carrier.weights.rejected) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.messaging.carrier.weights.rejected = try weight("carrier.rejected", n) } },
    ConfigKey(name: "carrier.test-numbers", kind: .boolean, help: "the deterministic numbers ending 9990–9998", get: { c in .bool(c.messaging.carrier.testNumbers) }) { c, v in
        if case .bool(let b) = v { c.messaging.carrier.testNumbers = b } },
    ConfigKey(name: "carrier.mo-auto-reply", kind: .boolean, help: "every delivered message gets an MO reply", get: { c in .bool(c.messaging.carrier.moAutoReply) }) { c, v in
        if case .bool(let b) = v { c.messaging.carrier.moAutoReply = b } },
    ConfigKey(name: "store.fsync", kind: .string, help: "what an OK survives: always (a power loss too), everysec (kill -9; a power loss may take the last second), never (kill -9; the OS syncs)", get: { c in .string(c.storeFsync) }) { c, v throws(ConfigError) in
        if case .string(let s) = v {
            guard FsyncPolicy(rawValue: s) != nil else {
                throw ConfigError(key: "store.fsync", problem: "must be \"always\", \"everysec\" or \"never\", got \"\(s)\"")
            }
            c.storeFsync = s
        } },
    ConfigKey(name: "store.segment-mb", kind: .integer, help: "size of one journal segment file in MiB, pre-allocated", get: { c in .int(c.storeSegmentMB) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.storeSegmentMB = try positive("store.segment-mb", n, max: 4096) } },
    ConfigKey(name: "store.writer-nice", kind: .integer, help: "nice value of the journal writer thread, -20…19 (default: the daemon's + 5, at most 19: on shared cores the loop thread that answers submit_sm is not preempted each time a write or sync completes); below the daemon's needs CAP_SYS_NICE or RLIMIT_NICE", get: { c in c.storeWriterNice.map { .int(Int($0)) } }) { c, v throws(ConfigError) in
        if case .int(let n) = v {
            guard (-20...19).contains(n) else { throw ConfigError(key: "store.writer-nice", problem: "must be between -20 and 19, got \(n)") }
            c.storeWriterNice = Int32(n)
        } },
    ConfigKey(name: "cluster.redis", kind: .string, help: "host:port of the Redis the nodes of a cluster share (docs/cluster.md); unset: this node runs alone", get: { c in c.clusterRedis.map(ConfigValue.string) }) { c, v throws(ConfigError) in
        if case .string(let s) = v {
            guard let e = Endpoint(parsing: s), e.port != 0 else {
                throw ConfigError(key: "cluster.redis", problem: "must be host:port, got \"\(s)\"")
            }
            c.clusterRedis = s
        } },
    ConfigKey(name: "cluster.sentinels", kind: .stringArray, help: "host:port of each Redis Sentinel that says where the cluster's Redis primary is (instead of cluster.redis; docs/cluster-sentinel.md); empty: cluster.redis, or alone", get: { c in .strings(c.clusterSentinels) }) { c, v throws(ConfigError) in
        if case .strings(let list) = v {
            guard list.count <= 16 else { throw ConfigError(key: "cluster.sentinels", problem: "at most 16 sentinels, got \(list.count)") }
            for s in list {
                guard let e = Endpoint(parsing: s), e.port != 0, !e.host.isEmpty else {
                    throw ConfigError(key: "cluster.sentinels", problem: "each must be host:port, got \"\(s)\"")
                }
            }
            c.clusterSentinels = list
        } },
    ConfigKey(name: "cluster.master-name", kind: .string, help: "the name the sentinels monitor the primary under (`sentinel monitor NAME …`)", get: { c in .string(c.clusterMasterName) }) { c, v throws(ConfigError) in
        if case .string(let s) = v {
            guard !s.isEmpty, s.count <= 128, !s.contains(where: { $0 == " " || $0.isNewline }) else {
                throw ConfigError(key: "cluster.master-name", problem: "must be 1…128 characters without spaces, got \"\(s)\"")
            }
            c.clusterMasterName = s
        } },
    ConfigKey(name: "cluster.wait-replicas", kind: .integer, help: "when > 0, a receipt shipped to another node, a bind slot and a lease count as done only once this many Redis replicas have them (WAIT); 0 = the primary's word", get: { c in .int(c.clusterWaitReplicas) }) { c, v throws(ConfigError) in
        if case .int(let n) = v {
            guard (0...16).contains(n) else { throw ConfigError(key: "cluster.wait-replicas", problem: "must be 0…16, got \(n)") }
            c.clusterWaitReplicas = n
        } },
    ConfigKey(name: "cluster.node", kind: .integer, help: "this node's number, 0…15, unique in the cluster: the message ids it issues carry it", get: { c in .int(c.clusterNode) }) { c, v throws(ConfigError) in
        if case .int(let n) = v {
            guard (0...15).contains(n) else { throw ConfigError(key: "cluster.node", problem: "must be 0…15, got \(n)") }
            c.clusterNode = n
        } },
    ConfigKey(name: "cluster.key-prefix", kind: .string, help: "prefix of every key in Redis, so that clusters can share one", get: { c in .string(c.clusterKeyPrefix) }) { c, v throws(ConfigError) in
        if case .string(let s) = v {
            guard !s.isEmpty, s.count <= 64, !s.contains("{"), !s.contains("}") else {
                throw ConfigError(key: "cluster.key-prefix", problem: "must be 1…64 characters without braces, got \"\(s)\"")
            }
            c.clusterKeyPrefix = s
        } },
    ConfigKey(name: "cluster.lease-ms", kind: .integer, help: "how long a node's presence and bind slots outlive it when it stops refreshing them", get: { c in .int(c.clusterLeaseMs) }) { c, v throws(ConfigError) in
        if case .int(let n) = v {
            guard (500...600_000).contains(n) else { throw ConfigError(key: "cluster.lease-ms", problem: "must be 500…600000 ms, got \(n)") }
            c.clusterLeaseMs = n
        } },
    ConfigKey(name: "cluster.credit-block", kind: .integer, help: "credits a node first takes from an account's shared pool at a time; it grows (up to 64x) for a busy account, and a node that dies strands at most one block", get: { c in .int(c.clusterCreditBlock) }) { c, v throws(ConfigError) in
        if case .int(let n) = v { c.clusterCreditBlock = try positive("cluster.credit-block", n, max: 1_000_000) } },
    ConfigKey(name: "cluster.command-timeout-ms", kind: .integer, help: "a Redis command unanswered this long drops the connection (it reconnects)", get: { c in .int(c.clusterCommandTimeoutMs) }) { c, v throws(ConfigError) in
        if case .int(let n) = v {
            guard (50...60_000).contains(n) else { throw ConfigError(key: "cluster.command-timeout-ms", problem: "must be 50…60000 ms, got \(n)") }
            c.clusterCommandTimeoutMs = n
        } },
    ConfigKey(name: "cluster.ship-log", kind: .boolean, help: "ship each journal batch to Redis and take over the pending work of a node whose machine is lost (docs/cluster-takeover.md); durable mode only", get: { c in .bool(c.clusterShipLog) }) { c, v in
        if case .bool(let b) = v { c.clusterShipLog = b } },
    ConfigKey(name: "cluster.ship-wait-replicas", kind: .integer, help: "with ship-log: Redis replicas that must hold a shipped batch (WAIT) before a response counts on it; 0: the primary's answer", get: { c in .int(c.clusterShipWaitReplicas) }) { c, v throws(ConfigError) in
        if case .int(let n) = v {
            guard (0...5).contains(n) else { throw ConfigError(key: "cluster.ship-wait-replicas", problem: "must be 0…5, got \(n)") }
            c.clusterShipWaitReplicas = n
        } },
]

/// Keys of one `[[account]]` table. ConfigFile.account reads them; `get` reads one back out of
/// an Account (the defaults are those of `Account(systemID:password:)`).
struct AccountKey: Sendable {
    let name: String
    let kind: ConfigKey.Kind
    let help: String
    /// nil: no value unless set (required keys, or ones whose absence means something).
    let get: @Sendable (Account) -> ConfigValue?
}

let accountKeys: [AccountKey] = [
    AccountKey(name: "system-id", kind: .string, help: "the ESME's system_id (required, 1…15 characters)", get: { .string($0.systemID) }),
    AccountKey(name: "password", kind: .string, help: "plaintext password (tests only; 1…8 characters per SMPP 3.4, longer accepted); give this or password-hash", get: { _ in nil }),
    AccountKey(name: "password-hash", kind: .string, help: "output of `smppd hash-password` (scrypt)", get: { _ in nil }),
    AccountKey(name: "numbers", kind: .stringArray, help: "E.164 numbers the account sends from; empty = any valid E.164 source", get: { .strings($0.numbers) }),
    AccountKey(name: "default-number", kind: .string, help: "number used when source_addr is empty (unset: the first of numbers)", get: { a in a.defaultNumber.map { .string($0) } }),
    AccountKey(name: "max-sessions", kind: .integer, help: "concurrent bound sessions", get: { .int($0.maxSessions) }),
    AccountKey(name: "bind-modes", kind: .stringArray, help: "any of transmitter, receiver, transceiver", get: { a in .strings(BindMode.allCases.filter { a.bindModes.contains($0) }.map(\.rawValue)) }),
    AccountKey(name: "allowed-ips", kind: .stringArray, help: "peer IPs allowed to bind; empty = any", get: { .strings($0.allowedIPs) }),
    AccountKey(name: "credits", kind: .integer, help: "message credits, one per segment; -1 = unlimited", get: { .int($0.credits ?? -1) }),
    AccountKey(name: "submit-rate", kind: .integer, help: "submits per second; 0 = unlimited", get: { .int($0.submitRate) }),
    AccountKey(name: "mo-rate", kind: .integer, help: "background MO per second to this account's receivers (needs numbers or default-number)", get: { .int(Int($0.moRate)) }),
]
