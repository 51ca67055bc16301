// What a survivor asks of Redis to take a lost node's log over (issue 15): claim the log of a
// node whose presence expired, keep the claim, read the log in chunks from its base, and
// once the adopted work is durable on the survivor mark the node taken over and delete its
// log. The SMSC side (SMSC/Cluster/Takeover.swift) decides when and replays what it reads.
// Sent on the shipper's connection. Loop thread only.
import Redis

extension LogShipper {
    /// How long a takeover claim lasts unless renewed: a few leases.
    public var claimMs: Int64 { settings.leaseMs * 4 }

    public enum ClaimResult: Sendable, Equatable {
        case claimed
        /// Nothing to take over (alive, no log, or another node has the claim).
        case nothing
        /// Gone, with a log that is not a complete copy (no base).
        case incompleteLog
        case unavailable
    }

    public func claim(node: Int, _ completion: @escaping (ClaimResult) -> Void) {
        client.eval(LogScripts.claim,
                    keys: [RedisArgument(keys.node(node)), RedisArgument(keys.log(node: node)),
                           RedisArgument(keys.logBase(node: node)), RedisArgument(keys.takeoverLock(node: node))],
                    arguments: [RedisArgument(settings.node), RedisArgument(Int(claimMs))]) { result in
            switch result {
            case .success(.integer(1)): completion(.claimed)
            case .success(.integer(-1)): completion(.incompleteLog)
            case .success(.integer): completion(.nothing)
            default: completion(.unavailable)
            }
        }
    }

    /// Renews the claim; `completion(false)` when it is not ours any more (or Redis failed).
    public func renewClaim(node: Int, _ completion: @escaping (Bool) -> Void) {
        client.eval(LogScripts.renew, keys: [RedisArgument(keys.takeoverLock(node: node))],
                    arguments: [RedisArgument(settings.node), RedisArgument(Int(claimMs))]) { result in
            if case .success(.integer(1)) = result { completion(true) } else { completion(false) }
        }
    }

    /// One chunk of a node's log: entries (batch number, framed bytes) after batch `after`
    /// (nil: from the base, which comes back too). nil on failure.
    public func readLog(node: Int, after: UInt64?, count: Int,
                        _ completion: @escaping (_ base: UInt64?, _ entries: [(UInt64, [UInt8])]?) -> Void) {
        if let after {
            client.send(["XRANGE", RedisArgument(keys.log(node: node)), RedisArgument("\(after + 1)-0"), "+",
                         "COUNT", RedisArgument(count)]) { result in
                guard case .success(let reply) = result, let entries = Self.entries(reply) else { return completion(nil, nil) }
                completion(nil, entries)
            }
            return
        }
        client.eval(LogScripts.readFirst, keys: [RedisArgument(keys.logBase(node: node)), RedisArgument(keys.log(node: node))],
                    arguments: [RedisArgument(count)]) { result in
            guard case .success(.array(let a)) = result, a.count == 2, case .integer(let base) = a[0],
                  base > 0, let entries = Self.entries(a[1]) else { return completion(nil, nil) }
            completion(UInt64(base), entries)
        }
    }

    /// `[[id, [field, value]], …]` → (batch number, bytes of field `d`); nil if malformed.
    private static func entries(_ reply: RedisReply) -> [(UInt64, [UInt8])]? {
        guard case .array(let list) = reply else { return nil }
        var out: [(UInt64, [UInt8])] = []
        out.reserveCapacity(list.count)
        for e in list {
            guard case .array(let pair) = e, pair.count == 2, case .bulk(let id) = pair[0],
                  let sequence = UInt64(String(decoding: id.prefix { $0 != UInt8(ascii: "-") }, as: UTF8.self)),
                  case .array(let fields) = pair[1], fields.count >= 2, case .bulk(let data) = fields[1] else { return nil }
            out.append((sequence, data))
        }
        return out
    }

    /// Marks `node` taken over through batch `through` by this node and deletes its log.
    public func finishTakeover(node: Int, through: UInt64, _ completion: @escaping (Bool) -> Void) {
        client.eval(LogScripts.finish,
                    keys: [RedisArgument(keys.takeoverLock(node: node)), RedisArgument(keys.log(node: node)),
                           RedisArgument(keys.logBase(node: node)), RedisArgument(keys.takenOver(node: node))],
                    arguments: [RedisArgument(settings.node), RedisArgument(through)]) { result in
            if case .success(.integer(1)) = result { completion(true) } else { completion(false) }
        }
    }

    /// Whether the shipper's connection is up (takeover needs it).
    public var isConnected: Bool { client.state == .connected }
}
