// The names of the keys the nodes share in Redis. Every key of an account carries the
// account in a hash tag (`{a:<system_id>}`), every key of an address the address, and every
// key of a node the node, so that one account's keys always live on one shard and a script
// may touch them together. Any thread.

/// Key names under one cluster's prefix.
public struct ClusterKeys: Sendable {
    public let prefix: String

    public init(prefix: String) { self.prefix = prefix }

    // Nodes.

    /// A node's presence: set with the lease as its expiry, refreshed a few times per lease.
    public func node(_ n: Int) -> String { "\(prefix):{n:\(n)}:alive" }
    /// Requests to a node (query_sm and cancel_sm for the ids it issued) and its replies.
    public func requests(node n: Int) -> String { "\(prefix):{n:\(n)}:rpc" }

    // Accounts.

    private func account(_ systemID: String) -> String { "\(prefix):{a:\(systemID)}" }
    /// A node's bound sessions of the account (hash: `all`, `rx`), expiring with its lease.
    public func sessions(_ systemID: String, node n: Int) -> String { "\(account(systemID)):sess:\(n)" }
    /// Every node's session key of the account, in node order (the bind script reads them all).
    public func allSessions(_ systemID: String) -> [String] {
        (0...ClusterSettings.maxNode).map { sessions(systemID, node: $0) }
    }
    /// Credits left in the shared pool, and the configured number they count down from.
    public func credits(_ systemID: String) -> String { "\(account(systemID)):credits" }
    public func creditsConfigured(_ systemID: String) -> String { "\(account(systemID)):credits:cfg" }
    /// The account's submit-rate bucket (hash: tokens, at, rate).
    public func rate(_ systemID: String) -> String { "\(account(systemID)):rate" }
    /// Receipts and MO on their way to a node that has a receiver bound for the account.
    public func deliveries(_ systemID: String) -> String { "\(account(systemID)):dlv" }
    /// The consumer group every node reads its streams with (one name: XREADGROUP reads
    /// several streams under one group).
    public static let group = "nodes"

    // Client addresses.

    private func address(_ ip: String) -> String { "\(prefix):{ip:\(ip)}" }
    /// Failed binds from the address in the current window, and its lock-out.
    public func bindFailures(_ ip: String) -> String { "\(address(ip)):fail" }
    public func bindLockout(_ ip: String) -> String { "\(address(ip)):lock" }
}
