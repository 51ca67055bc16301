// What a node needs to know to take part in a cluster (issue 15), from the `[cluster]` config
// table. A plain value, any thread.
import Reactor
import Redis

/// One node's cluster settings. Without them (`ClusterSettings?` nil) smppd runs alone.
public struct ClusterSettings: Sendable, Equatable {
    /// This node's number, 0…15: the instance field of every message id it issues, so an id
    /// names the node that owns its record, and the prefix of its MO ids.
    public var node: Int
    /// The shared store (Redis 7), as an IP literal or a host name resolved once at start.
    /// Unused ("", 0) when `sentinels` is not empty.
    public var redisHost: String
    public var redisPort: Int
    /// Redis Sentinels (IP literals or names resolved once at start) that say where the
    /// primary named `masterName` is; empty: the one server at redisHost:redisPort.
    public var sentinels: [Endpoint] = []
    public var masterName = "mymaster"
    /// When > 0, what the cluster acknowledges through Redis (a shipment of deliveries, a bind
    /// slot, a lease) counts as done only once this many replicas have it (WAIT); fewer within
    /// `waitTimeoutMs` is a failure, as if Redis were unreachable.
    public var waitReplicas = 0
    /// Prefix of every key, so that several clusters can share one Redis.
    public var keyPrefix = "smppd"
    /// How long a node's presence and its session counts outlive it: a node that stops
    /// refreshing them (killed, cut off) stops counting after this long.
    public var leaseMs: Int64 = 5_000
    /// Ship the journal's batches to Redis and take over the work of nodes that are lost
    /// (`cluster.ship-log`, durable mode only; docs/cluster-takeover.md).
    public var shipLog = false
    /// With shipLog: replicas that must have a shipped batch (WAIT) before it counts as in
    /// Redis (0: the primary's answer is enough).
    public var shipWaitReplicas = 0
    /// Credits a node takes from an account's shared pool at a time. A node that dies holds at
    /// most one block (plus what it had not used of the previous one).
    public var creditBlock = 500
    /// How long a command to Redis may take before the connection is deemed broken.
    public var commandTimeoutMs: Int64 = 2_000

    public init(node: Int, redisHost: String, redisPort: Int) {
        self.node = node
        self.redisHost = redisHost
        self.redisPort = redisPort
    }

    /// A node that finds the primary through Redis Sentinel.
    public init(node: Int, sentinels: [Endpoint], masterName: String) {
        self.init(node: node, redisHost: "", redisPort: 0)
        self.sentinels = sentinels
        self.masterName = masterName
    }

    /// How long a WAIT for `waitReplicas` may block the command connection: half a command's
    /// timeout, so the WAIT itself never times the connection out.
    public var waitTimeoutMs: Int64 { max(commandTimeoutMs / 2, 10) }

    /// Where the shared store is, for logs: "10.0.0.5:6379" or "sentinel mymaster via a:26379,b:26379".
    public var redisDescription: String {
        sentinels.isEmpty ? Endpoint(host: redisHost, port: UInt16(clamping: redisPort)).description
            : "sentinel \(masterName) via \(sentinels.map(\.description).joined(separator: ","))"
    }

    /// The highest node number (the message id's instance field has four bits).
    public static let maxNode = 15
}

extension ClusterSettings {
    /// Where every connection of the node to the cluster's Redis goes: the one server, or the
    /// primary the sentinels name.
    public var redisEndpoint: RedisEndpoint {
        sentinels.isEmpty
            ? .address(host: redisHost, port: redisPort)
            : .sentinel(sentinels: sentinels, master: masterName)
    }

    /// The options of such a connection with the given command timeout.
    public func redisOptions(commandTimeoutMs: Int64) -> RedisOptions {
        var options = RedisOptions(commandTimeout: .milliseconds(commandTimeoutMs))
        // While a failover runs the sentinels name the dead primary: ask again at least every
        // second, so the promoted one is found soon after its promotion.
        if !sentinels.isEmpty { options.reconnectMax = .seconds(1) }
        return options
    }
}
