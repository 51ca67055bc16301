// What a node needs to know to take part in a cluster (issue 15), from the `[cluster]` config
// table. A plain value, any thread.

/// One node's cluster settings. Without them (`ClusterSettings?` nil) smppd runs alone.
public struct ClusterSettings: Sendable, Equatable {
    /// This node's number, 0…15: the instance field of every message id it issues, so an id
    /// names the node that owns its record, and the prefix of its MO ids.
    public var node: Int
    /// The shared store (Redis 7), as an IP literal or a host name resolved once at start.
    public var redisHost: String
    public var redisPort: Int
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

    /// The highest node number (the message id's instance field has four bits).
    public static let maxNode = 15
}
