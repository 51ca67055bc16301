// ClusterCoordinator: everything a node asks of the shared store, and only that (issue 15).
// The message path stays on the node that took the submit; what crosses nodes goes through
// here, per bind or per lease or packed per turn, never per message:
//   - presence: each node's key, refreshed a few times per lease;
//   - bind slots and bind lock-outs counted across nodes;
//   - credits and submit-rate tokens, leased per account in blocks;
//   - receipts and MO for a receiver bound on another node, through the account's stream.
// Two connections: one for commands, one that waits in XREADGROUP for this node's streams.
// Loop thread only. Where its state survives a kill -9: in Redis (keys expire with the lease;
// stream entries stay pending until a node acknowledges them); nothing of it is in the
// node's journal.
import Reactor
import Redis

public final class ClusterCoordinator {
    public let settings: ClusterSettings
    public let keys: ClusterKeys
    private let loop: EventLoop
    private let commands: RedisClient
    private let reader: RedisClient
    private var heartbeat: LoopTimer?
    private var readTimer: LoopTimer?
    private var stopped = false

    /// The node's bound sessions per account (all, receivers), for the heartbeat.
    public var sessionCounts: () -> [String: (all: Int, receivers: Int)] = { [:] }
    /// Every configured account: the first heartbeat clears this node's counts of all of them,
    /// so that counts an earlier life of the node left behind do not hold slots for a lease.
    public var configuredAccounts: () -> [String] = { [] }
    private var clearedEarlierLife = false
    /// The stream entries this node holds and has not finished, by account (their idle time
    /// is reset every heartbeat so that no other node takes them over).
    public var heldEntries: () -> [String: [String]] = { [:] }
    /// Called on the loop thread when the shared store becomes reachable or unreachable.
    public var onAvailabilityChange: ((Bool, String) -> Void)?
    /// Entries read from an account's stream: (account, entry id, packed deliveries).
    public var onDeliveries: ((String, String, [UInt8]) -> Void)?
    /// A query_sm / cancel_sm another node asks about one of this node's messages.
    public var onRequest: ((RemoteRequest) -> Void)?
    /// The owner's answer to one of this node's requests.
    public var onReply: ((RemoteReply) -> Void)?

    /// Accounts this node has a receiver bound for: the streams it reads.
    private var receiving: Set<String> = []
    public var receivingCount: Int { receiving.count }
    /// Streams whose consumer group exists (created once per stream per connection).
    private var groupsReady: Set<String> = []
    /// Streams whose entries this node read before but did not acknowledge (after a restart
    /// or a reconnect): read from the start of this consumer's pending list first.
    private var readPendingFirst: Set<String> = []
    private var readInFlight = false
    private var lastClaimMs: Int64 = 0

    public init(loop: EventLoop, settings: ClusterSettings) {
        self.loop = loop
        self.settings = settings
        keys = ClusterKeys(prefix: settings.keyPrefix)
        let endpoint = settings.redisEndpoint
        let options = settings.redisOptions(commandTimeoutMs: settings.commandTimeoutMs)
        commands = RedisClient(loop: loop, endpoint: endpoint, options: options)
        reader = RedisClient(loop: loop, endpoint: endpoint, options: options)
    }

    /// The Redis server the commands connection uses (or tried last): "ip:port".
    public var redisServer: String { Endpoint(host: commands.host, port: UInt16(clamping: commands.port)).description }

    /// A script whose writes the cluster acknowledges (`ship`, a bind slot, a lease). With
    /// `waitReplicas` > 0 and a reply for which `wrote` holds, WAIT follows on the same
    /// connection (sent from the reply's completion, so nothing can come between: the
    /// connection is the one the script ran on, or WAIT is refused), and `completion` gets
    /// the reply only once that many replicas have every write of this connection so far;
    /// fewer is a failure (after `shortfall` saw the reply). So a primary lost after the reply
    /// cannot take the write with it. The write itself stays on the primary (a shipment that
    /// failed this way is shipped again: at least once), so after a shortfall each such write
    /// first asks ROLE and is not made while fewer replicas are connected: replicas that stay
    /// away cost a refusal per attempt, not a copy per attempt.
    private func evalReplicated(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument],
                                wrote: @escaping (RedisReply) -> Bool, shortfall: ((RedisReply) -> Void)? = nil,
                                completion: @escaping (Result<RedisReply, RedisFailure>) -> Void) {
        replicated({ [unowned self] done in self.commands.eval(script, keys: keys, arguments: arguments, completion: done) },
                   wrote: wrote, shortfall: shortfall, completion: completion)
    }

    /// The same for a plain command.
    private func sendReplicated(_ arguments: [RedisArgument], wrote: @escaping (RedisReply) -> Bool,
                                completion: @escaping (Result<RedisReply, RedisFailure>) -> Void) {
        replicated({ [unowned self] done in self.commands.send(arguments, completion: done) }, wrote: wrote, shortfall: nil,
                   completion: completion)
    }

    /// `issue` sends one write on the commands connection and hands its reply to the callback
    /// it is given; see evalReplicated for the rest.
    private func replicated(_ issue: @escaping (@escaping (Result<RedisReply, RedisFailure>) -> Void) -> Void,
                            wrote: @escaping (RedisReply) -> Bool, shortfall: ((RedisReply) -> Void)?,
                            completion: @escaping (Result<RedisReply, RedisFailure>) -> Void) {
        let replicas = settings.waitReplicas
        guard replicas > 0 else { return issue(completion) }
        let run = { [unowned self] in
            issue { [weak self] result in
                guard let self, case .success(let reply) = result, wrote(reply) else { return completion(result) }
                self.commands.send(["WAIT", RedisArgument(replicas), RedisArgument(Int(self.settings.waitTimeoutMs))]) { [weak self] waited in
                    if case .success(.integer(let n)) = waited, n >= replicas {
                        self?.replicasShort = false
                        return completion(result)
                    }
                    self?.replicasShort = true
                    let got = if case .success(.integer(let n)) = waited { "\(n) of \(replicas) replicas" } else { "\(waited)" }
                    shortfall?(reply)
                    completion(.failure(.disconnected("not replicated (WAIT: \(got))")))
                }
            }
        }
        guard replicasShort else { return run() }
        // ROLE on a primary: ["master", offset, [[ip, port, offset], …]].
        commands.send(["ROLE"]) { result in
            guard case .success(.array(let role)) = result, role.count >= 3, case .array(let connected) = role[2] else {
                return completion(result.flatMap { .failure(.disconnected("unexpected ROLE answer \($0)")) })
            }
            guard connected.count >= replicas else {
                return completion(.failure(.disconnected("not written: \(connected.count) of \(replicas) replicas connected")))
            }
            run()
        }
    }
    /// The last WAIT got fewer replicas than `waitReplicas`.
    private var replicasShort = false

    /// The consumer name of this node in every stream's group.
    private var consumer: String { "node-\(settings.node)" }

    public var isAvailable: Bool { commands.state == .connected }
    public var state: RedisConnectionState { commands.state }

    public func start() {
        commands.onStateChange = { [unowned self] state in
            switch state {
            case .connected:
                self.shipGroups.removeAll()
                self.beat()
                self.onAvailabilityChange?(true, "connected")
            case .disconnected(let why):
                self.onAvailabilityChange?(false, why)
            case .connecting:
                break
            }
        }
        reader.onStateChange = { [unowned self] state in
            if state == .connected {
                self.groupsReady.removeAll()
                self.readPendingFirst = Set(self.streamsToRead)
                self.readNext()
            }
        }
        commands.start()
        reader.start()
        let beatEvery = Duration.milliseconds(max(settings.leaseMs / 3, 100))
        let h = LoopTimer(loop: loop) { [unowned self] in
            self.beat()
            self.heartbeat?.schedule(after: beatEvery)
        }
        heartbeat = h
        h.schedule(after: beatEvery)
    }

    public func stop() {
        stopped = true
        heartbeat?.cancel()
        readTimer?.cancel()
        commands.stop()
        reader.stop()
    }

    // MARK: Presence and session counts

    /// Refreshes this node's presence and its session counts of every account (set whole, so
    /// a count that drifted, or one left by an earlier life of the node, is corrected).
    private func beat() {
        guard isAvailable else { return }
        commands.send(["SET", RedisArgument(keys.node(settings.node)), RedisArgument(String(loop.nowMilliseconds)),
                       "PX", RedisArgument(Int(settings.leaseMs))]) { _ in }
        let counts = sessionCounts()
        if !clearedEarlierLife {
            clearedEarlierLife = true
            announced.formUnion(configuredAccounts())
        }
        for (account, c) in counts { setSessions(account, all: c.all, receivers: c.receivers) }
        for account in announced.subtracting(counts.keys) { setSessions(account, all: 0, receivers: 0) }
        announced = Set(counts.keys)
        keepHeldClaimed()
        claimAbandoned()
    }
    private var announced: Set<String> = []

    private func setSessions(_ account: String, all: Int, receivers: Int) {
        commands.eval(ClusterScripts.setSessions, keys: [RedisArgument(keys.sessions(account, node: settings.node))],
                      arguments: [RedisArgument(all), RedisArgument(receivers), RedisArgument(Int(settings.leaseMs))]) { _ in }
    }

    /// What a bind slot request got.
    public enum ClaimResult: Sendable, Equatable { case granted, full, unavailable }

    /// Takes one of the account's `maxSessions` slots, counted over every live node.
    public func claimSession(account: String, maxSessions: Int, receiver: Bool, completion: @escaping (ClaimResult) -> Void) {
        evalReplicated(ClusterScripts.claimSession, keys: keys.allSessions(account).map { RedisArgument($0) },
                       arguments: [RedisArgument(settings.node), RedisArgument(maxSessions), RedisArgument(receiver ? 1 : 0),
                                   RedisArgument(Int(settings.leaseMs))], wrote: { $0 == .integer(1) }) { result in
            switch result {
            case .success(.integer(1)): completion(.granted)
            case .success(.integer(0)): completion(.full)
            default: completion(.unavailable)
            }
        }
    }

    /// A bound session ended: the node's counts of the account as they are now.
    public func sessionsChanged(account: String, all: Int, receivers: Int) {
        guard isAvailable else { return }   // the heartbeat after the reconnect sets them
        setSessions(account, all: all, receivers: receivers)
    }

    // MARK: Bind lock-outs

    public enum LockoutResult: Sendable, Equatable { case clear, locked, unavailable }

    /// Whether binds from `ip` are locked out on any node.
    public func checkLockout(ip: String, completion: @escaping (LockoutResult) -> Void) {
        commands.send(["EXISTS", RedisArgument(keys.bindLockout(ip))]) { result in
            switch result {
            case .success(.integer(let n)): completion(n > 0 ? .locked : .clear)
            default: completion(.unavailable)
            }
        }
    }

    /// A failed bind from `ip`, counted across nodes; `completion(true)` when it started a lock-out.
    public func recordBindFailure(ip: String, windowMs: Int64, maxFailures: Int, lockoutMs: Int64,
                                  completion: @escaping (Bool) -> Void) {
        commands.eval(ClusterScripts.bindFailure, keys: [RedisArgument(keys.bindFailures(ip)), RedisArgument(keys.bindLockout(ip))],
                      arguments: [RedisArgument(Int(windowMs)), RedisArgument(maxFailures), RedisArgument(Int(lockoutMs))]) { result in
            if case .success(.integer(1)) = result { completion(true) } else { completion(false) }
        }
    }

    /// A successful bind clears the address's failures (not an active lock-out).
    public func recordBindSuccess(ip: String) {
        guard isAvailable else { return }
        commands.send(["DEL", RedisArgument(keys.bindFailures(ip))]) { _ in }
    }

    // MARK: Credits and rate tokens

    /// What a lease request got: credits (and the pool after them, -1 when unlimited) and tokens.
    public struct LeaseGrant: Sendable, Equatable {
        public var credits: Int
        public var poolLeft: Int
        public var tokens: Int

        public init(credits: Int, poolLeft: Int, tokens: Int) {
            self.credits = credits
            self.poolLeft = poolLeft
            self.tokens = tokens
        }
    }

    /// Leases credits and tokens for one account in one call (nil: Redis unreachable or failed).
    public func lease(account: String, configuredCredits: Int?, credits: Int, rate: Int, tokens: Int,
                      completion: @escaping (LeaseGrant?) -> Void) {
        evalReplicated(ClusterScripts.lease,
                       keys: [RedisArgument(keys.credits(account)), RedisArgument(keys.creditsConfigured(account)),
                              RedisArgument(keys.rate(account))],
                       arguments: [RedisArgument(configuredCredits ?? -1), RedisArgument(credits), RedisArgument(rate),
                                   RedisArgument(tokens)], wrote: { _ in true }, shortfall: { [weak self] reply in
            // Not replicated, so not used: the credits go back to the pool (on the same
            // primary), else every retry while the replicas are away would strand a block.
            guard let configuredCredits, case .array(let a) = reply, a.count == 3, case .integer(let c) = a[0], c > 0 else { return }
            self?.returnCredits(account: account, configuredCredits: configuredCredits, credits: Int(c))
        }) { result in
            guard case .success(.array(let a)) = result, a.count == 3,
                  case .integer(let c) = a[0], case .integer(let p) = a[1], case .integer(let t) = a[2] else {
                return completion(nil)
            }
            completion(LeaseGrant(credits: Int(c), poolLeft: Int(p), tokens: Int(t)))
        }
    }

    /// Gives unused credits back to the pool they came from (shutdown).
    public func returnCredits(account: String, configuredCredits: Int, credits: Int, completion: @escaping () -> Void = {}) {
        guard credits > 0, isAvailable else { return completion() }
        commands.eval(ClusterScripts.returnCredits,
                      keys: [RedisArgument(keys.credits(account)), RedisArgument(keys.creditsConfigured(account))],
                      arguments: [RedisArgument(configuredCredits), RedisArgument(credits)]) { _ in completion() }
    }

    // MARK: Deliveries across nodes

    public enum ShipResult: Sendable, Equatable { case shipped, unavailable }

    /// Streams this connection has made sure have the consumer group (XADD makes a stream
    /// without one; XREADGROUP needs it). Cleared on every reconnect: Redis may be new.
    private var shipGroups: Set<String> = []

    /// Adds packed deliveries to the account's stream, as a plain XADD (the payload never goes
    /// through Lua, which would hash every byte of it). The caller has asked `remoteReceivers`
    /// first; if the receiver has gone meanwhile, the entry waits in the stream for the next
    /// receiver of the account on any node, this one included. `.shipped` only once
    /// `waitReplicas` replicas have the entry too.
    public func ship(account: String, packed: [UInt8], completion: @escaping (ShipResult) -> Void) {
        let stream = keys.deliveries(account)
        let add = { [unowned self] in
            self.sendReplicated(["XADD", RedisArgument(stream), "*", "d", RedisArgument(packed)],
                                wrote: { if case .bulk = $0 { true } else { false } }) { result in
                if case .success(.bulk) = result { completion(.shipped) } else { completion(.unavailable) }
            }
        }
        guard !shipGroups.contains(stream) else { return add() }
        commands.send(["XGROUP", "CREATE", RedisArgument(stream), RedisArgument(ClusterKeys.group), "0", "MKSTREAM"]) { [weak self] result in
            switch result {
            case .success(.error(let e)) where !e.hasPrefix("BUSYGROUP"): completion(.unavailable)
            case .success:
                self?.shipGroups.insert(stream)
                add()
            case .failure: completion(.unavailable)
            }
        }
    }

    /// How many other nodes have a receiver bound for the account, and how many entries its
    /// stream holds (nil: Redis unreachable).
    public func remoteReceivers(account: String, completion: @escaping ((receivers: Int, backlog: Int)?) -> Void) {
        var k = keys.allSessions(account).map { RedisArgument($0) }
        k.append(RedisArgument(keys.deliveries(account)))
        commands.eval(ClusterScripts.remoteReceivers, keys: k, arguments: [RedisArgument(settings.node)]) { result in
            guard case .success(.array(let a)) = result, a.count == 2, case .integer(let n) = a[0], case .integer(let len) = a[1] else {
                return completion(nil)
            }
            completion((Int(n), Int(len)))
        }
    }

    /// Done with an entry read from an account's stream (every delivery in it answered or dropped).
    public func acknowledge(account: String, entry: String) {
        commands.eval(ClusterScripts.acknowledge, keys: [RedisArgument(keys.deliveries(account))],
                      arguments: [RedisArgument(entry)]) { _ in }
    }

    /// The accounts this node has a receiver bound for changed: read their streams.
    public func setReceiving(_ accounts: Set<String>) {
        let added = accounts.subtracting(receiving)
        receiving = accounts
        readPendingFirst.formUnion(added.map { keys.deliveries($0) })
        readNext()
    }

    /// How long one XREADGROUP waits for entries: short, so that a change of the streams read
    /// (a receiver binding for a new account) applies soon.
    private static let blockMs = 250
    /// Entries read per stream per call.
    private static let readCount = 64

    /// Accounts whose deliveries wait here in such numbers that reading more of their stream
    /// would only overflow the queue: their entries wait in Redis until it drains.
    public var isBacklogged: (String) -> Bool = { _ in false }

    /// The streams this node reads: its requests and replies, and its receivers' accounts that
    /// are not backlogged here.
    private var streamsToRead: [String] {
        [keys.requests(node: settings.node)] + receiving.sorted().filter { !isBacklogged($0) }.map { keys.deliveries($0) }
    }

    private func readNext() {
        guard !stopped, !readInFlight, reader.state == .connected else { return }
        let streams = streamsToRead
        // Groups first (XREADGROUP fails with NOGROUP on a stream without one).
        let missing = streams.filter { !groupsReady.contains($0) }
        if !missing.isEmpty {
            readInFlight = true
            var left = missing.count
            for key in missing {
                reader.send(["XGROUP", "CREATE", RedisArgument(key), RedisArgument(ClusterKeys.group), "0", "MKSTREAM"]) { [unowned self] result in
                    switch result {
                    case .success(.error(let e)) where !e.hasPrefix("BUSYGROUP"): break
                    case .success: self.groupsReady.insert(key)   // created, or it existed
                    case .failure: break
                    }
                    left -= 1
                    if left == 0 {
                        self.readInFlight = false
                        if self.groupsReady.isSuperset(of: missing) { self.readNext() } else { self.retryReadSoon() }
                    }
                }
            }
            return
        }
        // This consumer's unacknowledged entries first (id 0), then new ones (">").
        let pending = streams.filter { readPendingFirst.contains($0) }
        let read = pending.isEmpty ? streams : pending
        var args: [RedisArgument] = ["XREADGROUP", "GROUP", RedisArgument(ClusterKeys.group), RedisArgument(consumer),
                                     "COUNT", RedisArgument(Self.readCount)]
        if pending.isEmpty { args += ["BLOCK", RedisArgument(Self.blockMs)] }
        args.append("STREAMS")
        args += read.map { RedisArgument($0) }
        args += read.map { _ in RedisArgument(pending.isEmpty ? ">" : "0") }
        readInFlight = true
        reader.send(args, timeout: .milliseconds(Int64(Self.blockMs) + settings.commandTimeoutMs)) { [unowned self] result in
            self.readInFlight = false
            switch result {
            case .success(.error(let e)):
                // NOGROUP: the stream was deleted (FLUSHALL, a trim); make the groups again.
                if e.hasPrefix("NOGROUP") { self.groupsReady.removeAll() }
                self.retryReadSoon()
            case .success(let reply):
                let got = self.dispatch(reply)
                // A stream whose pending list gave fewer than a full read is done with it.
                for key in pending where (got[key] ?? 0) < Self.readCount { self.readPendingFirst.remove(key) }
                self.readNext()
            case .failure:
                self.retryReadSoon()
            }
        }
    }

    private func retryReadSoon() {
        let t = readTimer ?? LoopTimer(loop: loop) { [unowned self] in self.readNext() }
        readTimer = t
        t.schedule(after: .milliseconds(200))
    }

    /// Hands each entry of an XREADGROUP answer on; returns how many each stream gave.
    @discardableResult
    private func dispatch(_ reply: RedisReply) -> [String: Int] {
        var counts: [String: Int] = [:]
        guard case .array(let streams) = reply else { return counts }
        for s in streams {
            guard case .array(let pair) = s, pair.count == 2, case .bulk(let name) = pair[0] else { continue }
            let key = String(decoding: name, as: UTF8.self)
            if key == keys.requests(node: settings.node) {
                counts[key] = handleMessages(pair[1])
            } else if let account = account(ofStream: key) {
                counts[key] = deliverEntries(pair[1], account: account)
            }
        }
        return counts
    }

    /// Entries `[[id, [field, value, …]], …]` of one account's stream; returns how many.
    @discardableResult
    private func deliverEntries(_ entries: RedisReply, account: String) -> Int {
        guard case .array(let list) = entries else { return 0 }
        for e in list {
            guard case .array(let pair) = e, pair.count == 2, case .bulk(let id) = pair[0] else { continue }
            let entry = String(decoding: id, as: UTF8.self)
            // A deleted entry still pending comes back with no fields: nothing to deliver.
            guard case .array(let fields) = pair[1], fields.count >= 2, case .bulk(let data) = fields[1] else {
                acknowledge(account: account, entry: entry)
                continue
            }
            onDeliveries?(account, entry, data)
        }
        return list.count
    }

    /// Requests and replies from this node's own stream; each is handled once and deleted.
    private func handleMessages(_ entries: RedisReply) -> Int {
        guard case .array(let list) = entries else { return 0 }
        let stream = keys.requests(node: settings.node)
        var ids: [RedisArgument] = []
        for e in list {
            guard case .array(let pair) = e, pair.count == 2, case .bulk(let id) = pair[0] else { continue }
            ids.append(RedisArgument(id))
            guard case .array(let fields) = pair[1] else { continue }
            var f: [String: String] = [:]
            var i = 0
            while i + 1 < fields.count {
                if case .bulk(let k) = fields[i], case .bulk(let v) = fields[i + 1] {
                    f[String(decoding: k, as: UTF8.self)] = String(decoding: v, as: UTF8.self)
                }
                i += 2
            }
            if f["k"] == "r" {
                if let r = RemoteReply(fields: f) { onReply?(r) }
            } else if let r = RemoteRequest(fields: f) {
                onRequest?(r)
            }
        }
        if !ids.isEmpty {
            commands.send(["XACK", RedisArgument(stream), RedisArgument(ClusterKeys.group)] + ids) { _ in }
            commands.send(["XDEL", RedisArgument(stream)] + ids) { _ in }
        }
        return list.count
    }

    /// Streams of requests are capped: a node that is down long does not make them grow without bound.
    private static let requestStreamCap = 10_000

    /// Sends a request to the node that owns the message; `completion(false)` if Redis did not take it.
    public func send(_ request: RemoteRequest, to node: Int, completion: @escaping (Bool) -> Void) {
        post(request.fields, to: node, completion: completion)
    }

    /// Sends the answer to a request back to the node that asked.
    public func send(_ reply: RemoteReply, to node: Int) {
        post(reply.fields, to: node) { _ in }
    }

    private func post(_ fields: [String], to node: Int, completion: @escaping (Bool) -> Void) {
        let args: [RedisArgument] = ["XADD", RedisArgument(keys.requests(node: node)), "MAXLEN", "~",
                                     RedisArgument(Self.requestStreamCap), "*"] + fields.map { RedisArgument($0) }
        commands.send(args) { result in
            if case .success(.bulk) = result { completion(true) } else { completion(false) }
        }
    }

    private func account(ofStream key: String) -> String? {
        let head = "\(keys.prefix):{a:"
        let tail = "}:dlv"
        guard key.hasPrefix(head), key.hasSuffix(tail), key.count >= head.count + tail.count else { return nil }
        return String(key.dropFirst(head.count).dropLast(tail.count))
    }

    /// Resets the idle time of the entries this node is still delivering (XCLAIM … JUSTID to
    /// itself), so that a slow receiver's backlog is not taken over by another node.
    private func keepHeldClaimed() {
        for (account, entries) in heldEntries() {
            var i = 0
            while i < entries.count {
                let chunk = entries[i..<min(i + 256, entries.count)]
                commands.send(["XCLAIM", RedisArgument(keys.deliveries(account)), RedisArgument(ClusterKeys.group),
                               RedisArgument(consumer), "0"] + chunk.map { RedisArgument($0) } + ["JUSTID"]) { _ in }
                i += 256
            }
        }
    }

    /// Entries another node read and never acknowledged for three leases (it died, or lost its
    /// receivers and its connection) are taken over by this node, for the accounts it reads.
    private func claimAbandoned() {
        let now = loop.nowMilliseconds
        guard now - lastClaimMs >= settings.leaseMs, isAvailable else { return }
        lastClaimMs = now
        for account in receiving where groupsReady.contains(keys.deliveries(account)) {
            commands.send(["XAUTOCLAIM", RedisArgument(keys.deliveries(account)), RedisArgument(ClusterKeys.group),
                           RedisArgument(consumer), RedisArgument(Int(settings.leaseMs * 3)), "0-0", "COUNT", "64"]) { [unowned self] result in
                // [next-start, [[id, fields], …], deleted-ids]
                guard case .success(.array(let parts)) = result, parts.count >= 2 else { return }
                self.deliverEntries(parts[1], account: account)
            }
        }
    }
}
