// LogShipper: a node's journal, batch by batch, copied into a Redis Stream of its own
// (`prefix:{n:<node>}:log`), so that another node can take its work over when the machine is
// lost (issue 15, `cluster.ship-log`). One stream entry per batch, its id `<batch>-0`, its
// one field `d` the batch as the journal framed it (length and CRC32C included: a survivor
// checks it). `prefix:{n:<node>}:logbase` names the first batch a replay may start from:
// batch 1 of a new journal, or the first batch of a compaction pass whose last batch is in
// the stream; when a pass is shipped whole, the stream is trimmed to it (XTRIM MINID), so
// Redis holds about what the node's disk holds.
//
// Rules it keeps:
//  - batches go in order; each is added by a script that checks the stream's last entry is
//    the batch before it (or the batch itself: sent again after a reconnect), so the stream
//    never has a hole after its base;
//  - shipping is pipelined (up to `maximumInFlight` batches) and never blocks the loop; the
//    batches not yet confirmed wait in a backlog bounded by `backlogCapBytes`. Past the cap,
//    or when the stream in Redis does not continue the node's log (Redis restarted empty,
//    another node took the log over, a batch was lost), the shipper is *behind*: it ships
//    nothing until the node's next compaction pass starts, then ships from that pass on and
//    moves the base there once the pass is complete in Redis (`onBehind` asks for that pass);
//  - with `shipWaitReplicas` > 0, a WAIT follows each pipelined run, and its batches count as
//    in Redis only once that many replicas have them (a failover then keeps them); a WAIT
//    that times out short is reported (`onUnreplicated`) and the batches count anyway, so a
//    lost replica degrades the promise instead of stopping the node;
//  - `confirmedThrough` is the last batch Redis holds. While `gatesAcknowledgements` is true
//    (connected, not behind) a response waits for its batch to be confirmed as well as
//    durable on the local disk: what a client was told is accepted is on two machines.
//
// Its own connection (batches are up to megabytes; bind and lease commands do not queue
// behind them). Loop thread only. Where its state survives a kill -9: in the stream and the
// base key; the backlog is rebuilt at start from the newest batches recovery read.
import Reactor
import Redis

extension ClusterKeys {
    /// A node's shipped journal batches (stream; ids are batch numbers).
    public func log(node n: Int) -> String { "\(prefix):{n:\(n)}:log" }
    /// The first batch of the node's stream a replay may start from.
    public func logBase(node n: Int) -> String { "\(prefix):{n:\(n)}:logbase" }
    /// Held by the node taking the node's log over (value: its number), with an expiry.
    public func takeoverLock(node n: Int) -> String { "\(prefix):{n:\(n)}:takeover" }
    /// Set (no expiry) once a node took the node's work over: "<last batch adopted> <by node>".
    public func takenOver(node n: Int) -> String { "\(prefix):{n:\(n)}:taken-over" }
}

public final class LogShipper {
    public let settings: ClusterSettings
    public let keys: ClusterKeys
    let loop: EventLoop
    let client: RedisClient

    /// The bytes of batches not yet confirmed that may wait (Redis unreachable or slow); past
    /// this the shipper is behind until the next compaction pass.
    public static let backlogCapBytes = 64 << 20
    /// Batches sent and not answered, at most (and bytes).
    static let maximumInFlight = 32
    static let maximumInFlightBytes = 16 << 20

    /// The confirmed batch moved, or whether acknowledgements wait for Redis changed.
    public var onProgress: (() -> Void)?
    /// The shipper fell behind (why): the node should start a compaction pass soon.
    public var onBehind: ((String) -> Void)?
    /// The stream is a complete copy again, from `base` (a pass shipped whole).
    public var onCaughtUp: ((UInt64) -> Void)?
    /// A WAIT came back with fewer replicas than shipWaitReplicas (how many had the batches).
    public var onUnreplicated: ((Int) -> Void)?

    private var backlog: [(sequence: UInt64, bytes: [UInt8])] = []
    private var head = 0
    private var inFlight = 0
    private var inFlightBytes = 0
    public private(set) var backlogBytes = 0
    /// The last batch the stream is known to hold, contiguous from its base (0: none).
    public private(set) var confirmedThrough: UInt64 = 0
    /// The last batch the primary took (ahead of confirmedThrough while a WAIT is pending).
    private var addedThrough: UInt64 = 0
    /// The last batch handed to add() (or recovered at start).
    private var lastAdded: UInt64 = 0
    /// The first batch of the run of batches this shipper put in the stream since its base
    /// (0: none: the stream is not known to continue from a base we made).
    private var runStart: UInt64 = 0
    public private(set) var isBehind = false
    /// Behind: the pass the shipper resumes with (0: none started yet).
    private var resumeAt: UInt64 = 0
    /// The next batch may start the stream afresh (a pass start after being behind, or
    /// batch 1 of a new journal): the script accepts a hole before it.
    private var rebaseAt: UInt64 = 0
    /// Passes whose last batch is not confirmed yet: (first, last).
    private var passes: [(first: UInt64, last: UInt64)] = []
    /// The state of the stream has been checked on this connection.
    private var ready = false
    private var checking = false
    /// Bumped when in-flight replies must be ignored (an error reply, a reconnect).
    private var generation = 0
    private var retryTimer: LoopTimer?
    private var started = false
    public private(set) var shippedBatches = 0
    public private(set) var shippedBytes = 0
    public private(set) var trims = 0

    public init(loop: EventLoop, settings: ClusterSettings) {
        self.loop = loop
        self.settings = settings
        keys = ClusterKeys(prefix: settings.keyPrefix)
        client = RedisClient(loop: loop, endpoint: settings.redisEndpoint,
                             options: settings.redisOptions(commandTimeoutMs: max(settings.commandTimeoutMs, 5_000)))
    }

    private var logKey: RedisArgument { RedisArgument(keys.log(node: settings.node)) }
    private var baseKey: RedisArgument { RedisArgument(keys.logBase(node: settings.node)) }

    /// True while a response must wait for its batch to be in Redis as well.
    public var gatesAcknowledgements: Bool { ready && !isBehind && client.state == .connected }

    /// Starts shipping. `recoveredThrough`: the last batch recovery read (0: a new journal);
    /// `tail`: the newest batches it read, in order, ending at recoveredThrough (as many as
    /// the backlog cap allows; maybe none), to ship if the stream lacks them.
    public func start(recoveredThrough: UInt64, tail: [(sequence: UInt64, bytes: [UInt8])]) {
        precondition(!started, "LogShipper.start once")
        started = true
        lastAdded = recoveredThrough
        confirmedThrough = 0
        if recoveredThrough == 0 {
            rebaseAt = 1
            passes.append((1, 1))   // batch 1 is a base by itself
        }
        for t in tail { append(t.sequence, t.bytes) }
        client.onStateChange = { [weak self] state in
            guard let self else { return }
            self.generation += 1
            self.inFlight = 0
            self.inFlightBytes = 0
            self.ready = false
            self.checking = false
            if state == .connected { self.checkStream() }
            self.onProgress?()
        }
        client.start()
    }

    public func stop() {
        retryTimer?.cancel()
        client.stop()
    }

    // MARK: The loop's side

    /// Batch `sequence` became durable: `bytes` is its framed copy.
    public func add(sequence: UInt64, bytes: [UInt8]) {
        if sequence != lastAdded + 1 {
            let previous = lastAdded
            lastAdded = sequence
            fallBehind("batch \(sequence) after batch \(previous) (a batch was not handed over)")
            return
        }
        lastAdded = sequence
        if isBehind {
            guard resumeAt != 0, sequence >= resumeAt else { return }
            if sequence == resumeAt { isBehind = false }
        }
        append(sequence, bytes)
        if backlogBytes > Self.backlogCapBytes {
            fallBehind("backlog of \(backlogBytes) bytes over the cap of \(Self.backlogCapBytes) (Redis unreachable or slow)")
            return
        }
        pump()
    }

    /// Durable batches were lost on their way to the loop (the writer's hand-over overflowed).
    public func lostBatches() { fallBehind("durable batches not handed over in time") }

    /// A compaction pass starts with batch `first` (its first batch is not durable yet).
    public func passStarted(at first: UInt64) {
        if isBehind && resumeAt == 0 {
            resumeAt = first
            rebaseAt = first
        }
    }

    /// The compaction pass that started at `first` ends with batch `last`: once `last` is in
    /// Redis, the stream is trimmed to `first` and the base moved there.
    public func passEnded(first: UInt64, last: UInt64) {
        passes.append((first, last))
    }

    // MARK: Shipping

    private func append(_ sequence: UInt64, _ bytes: [UInt8]) {
        if head > 0 && head * 2 >= backlog.count {
            backlog.removeFirst(head)
            head = 0
        }
        backlog.append((sequence, bytes))
        backlogBytes += bytes.count
    }

    private func fallBehind(_ why: String) {
        let wasBehind = isBehind
        isBehind = true
        resumeAt = 0
        rebaseAt = 0
        runStart = 0
        passes.removeAll()
        backlog.removeAll()
        head = 0
        backlogBytes = 0
        generation += 1
        inFlight = 0
        inFlightBytes = 0
        if !wasBehind { onBehind?(why) }
        onProgress?()
    }

    /// Sends the next batches of the backlog, up to the in-flight bounds.
    private func pump() {
        guard ready, !isBehind, client.state == .connected else { return }
        var lastSent: UInt64 = 0
        defer { if lastSent != 0 && settings.shipWaitReplicas > 0 { waitForReplicas(through: lastSent) } }
        while head + inFlight < backlog.count, inFlight < Self.maximumInFlight, inFlightBytes < Self.maximumInFlightBytes {
            let item = backlog[head + inFlight]
            let rebase = item.sequence == rebaseAt
            inFlight += 1
            inFlightBytes += item.bytes.count
            let g = generation
            lastSent = item.sequence
            client.eval(LogScripts.ship, keys: [logKey, baseKey],
                        arguments: [RedisArgument(item.sequence), RedisArgument(item.bytes), RedisArgument(rebase ? 1 : 0)]) { [weak self] result in
                guard let self, g == self.generation else { return }
                self.shipped(item.sequence, result)
            }
        }
    }

    private func shipped(_ sequence: UInt64, _ result: Result<RedisReply, RedisFailure>) {
        switch result {
        case .success(.integer(let n)) where n >= 0:
            guard head < backlog.count, backlog[head].sequence == sequence else {
                // Cannot happen (replies come in order; every reset bumps the generation), but
                // a wrong guess here must cost a rebase, not the process.
                return fallBehind("a reply for batch \(sequence) where batch \(head < backlog.count ? backlog[head].sequence : 0) was expected")
            }
            let size = backlog[head].bytes.count
            backlog[head].bytes = []
            head += 1
            inFlight -= 1
            inFlightBytes -= size
            backlogBytes -= size
            if n == 1 { shippedBatches += 1; shippedBytes += size }
            if sequence == rebaseAt {
                runStart = sequence
                rebaseAt = 0
            }
            addedThrough = sequence
            if settings.shipWaitReplicas == 0 { confirm(through: sequence) }
            pump()
        case .success(.integer):
            fallBehind("the stream does not end at batch \(sequence - 1) (Redis lost entries, or another node took the log over)")
        case .success(let reply):
            // An error reply (OOM, …): keep the backlog and try again shortly.
            generation += 1
            inFlight = 0
            inFlightBytes = 0
            retrySoon("XADD of batch \(sequence): \(reply)")
        case .failure:
            break   // the connection is gone; onStateChange resets and the reconnect checks again
        }
    }

    private func confirm(through sequence: UInt64) {
        guard sequence > confirmedThrough else { return }
        confirmedThrough = sequence
        trimIfDue()
        onProgress?()
    }

    /// WAIT after a pipelined run: its batches count once enough replicas have them.
    private func waitForReplicas(through sequence: UInt64) {
        let g = generation
        let want = settings.shipWaitReplicas
        let timeoutMs = max(settings.commandTimeoutMs / 2, 100)
        client.send(["WAIT", RedisArgument(want), RedisArgument(Int(timeoutMs))],
                    timeout: .milliseconds(timeoutMs + max(settings.commandTimeoutMs, 5_000))) { [weak self] result in
            guard let self, g == self.generation, case .success(.integer(let n)) = result else { return }
            if n < want { self.onUnreplicated?(Int(n)) }
            self.confirm(through: min(sequence, self.addedThrough))
        }
    }

    private func retrySoon(_ why: String) {
        let t = retryTimer ?? LoopTimer(loop: loop) { [weak self] in self?.pump() }
        retryTimer = t
        t.schedule(after: .milliseconds(500))
    }

    /// A pass whose last batch is now in Redis, and whose first batch this shipper put there:
    /// the stream is trimmed to it and the base moved there.
    private func trimIfDue() {
        while let p = passes.first, p.last <= confirmedThrough {
            passes.removeFirst()
            guard runStart != 0, runStart <= p.first else { continue }
            let first = p.first
            client.eval(LogScripts.trim, keys: [logKey, baseKey], arguments: [RedisArgument(first)]) { [weak self] result in
                guard let self, case .success(.integer) = result else { return }
                self.trims += 1
                self.onCaughtUp?(first)
            }
        }
    }

    // MARK: After a (re)connect

    /// Reads where the stream ends and from where it is a copy, and decides how to go on.
    private func checkStream() {
        guard !checking else { return }
        checking = true
        let g = generation
        client.eval(LogScripts.state, keys: [logKey, baseKey], arguments: []) { [weak self] result in
            guard let self, g == self.generation else { return }
            self.checking = false
            guard case .success(.array(let a)) = result, a.count == 2, case .integer(let top) = a[0],
                  case .integer(let base) = a[1] else {
                self.retrySoon("stream state: \(result)")
                return
            }
            self.decide(top: UInt64(max(top, 0)), base: base > 0 ? UInt64(base) : nil)
        }
    }

    private func decide(top: UInt64, base: UInt64?) {
        ready = true
        defer {
            onProgress?()
            pump()
        }
        if isBehind { return }   // waits for a pass, whatever the stream holds
        let next = head < backlog.count ? backlog[head].sequence : lastAdded + 1
        if rebaseAt != 0 && rebaseAt == next { return }   // a fresh start or a pass: the script handles a stale stream
        if let base, top + 1 >= next, top <= lastAdded {
            // The stream continues our log: drop what it holds already.
            while head < backlog.count, backlog[head].sequence <= top {
                backlogBytes -= backlog[head].bytes.count
                backlog[head].bytes = []
                head += 1
            }
            addedThrough = max(addedThrough, top)
            confirmedThrough = max(confirmedThrough, top)
            if runStart == 0 { runStart = base }
            return
        }
        fallBehind(top == 0 ? "the stream is empty while the journal has batches up to \(lastAdded)"
                            : "the stream ends at batch \(top), the journal's unshipped batches start at \(next)")
    }

    // MARK: The node coming back (its work may have been taken over)

    /// What the start check found.
    public enum Arrival: Sendable, Equatable {
        /// Nobody took this node's log over.
        case own
        /// Node `by` took it over, through batch `through`.
        case takenOver(through: UInt64, by: Int)
        /// Another node is taking it over right now: ask again shortly.
        case busy
        /// Redis did not answer.
        case unavailable
    }

    /// Marks this node present and says whether its work was taken over while it was away
    /// (one script, so that no takeover can start after the answer).
    public func checkArrival(_ completion: @escaping (Arrival) -> Void) {
        let n = settings.node
        client.eval(LogScripts.arrive, keys: [RedisArgument(keys.node(n)), RedisArgument(keys.takeoverLock(node: n)),
                                              RedisArgument(keys.takenOver(node: n))],
                    arguments: [RedisArgument(String(loop.nowMilliseconds)), RedisArgument(Int(settings.leaseMs))]) { result in
            switch result {
            case .success(.integer(1)): completion(.busy)
            case .success(.integer(0)): completion(.own)
            case .success(.bulk(let b)):
                let parts = String(decoding: b, as: UTF8.self).split(separator: " ")
                if parts.count == 2, let through = UInt64(parts[0]), let by = Int(parts[1]) {
                    completion(.takenOver(through: through, by: by))
                } else {
                    completion(.takenOver(through: .max, by: -1))
                }
            default: completion(.unavailable)
            }
        }
    }

    /// Once the node dropped what was taken over (durably): the marker goes.
    public func clearTakenOver() {
        client.send(["DEL", RedisArgument(keys.takenOver(node: settings.node))]) { _ in }
    }
}
