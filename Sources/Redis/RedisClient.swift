// RedisClient: a narrow asynchronous Redis client on the loop thread (hiredis 0.14 underneath,
// HiredisConnection.swift): binary-safe commands, pipelining, deadlines, EVALSHA with the EVAL
// fallback, reconnects with backoff. Loop thread only (create it there or before run()).
// With RedisEndpoint.sentinel it finds the primary through Redis Sentinel before each connect
// (SentinelResolver.swift), checks it with ROLE, and finds it again after a loss or a READONLY.
//
// Rules it keeps (the tests in Tests/RedisTests prove each):
//  - every completion runs exactly once, on the loop thread, and never inside a hiredis call;
//  - a command is sent at once or refused at once (.notConnected): nothing is queued while
//    not connected, the caller decides;
//  - replies come in order, so one FIFO and one timer are enough: the timer is armed for the
//    earliest deadline of the pending commands (a running minimum, corrected when it fires);
//    when a deadline passes every pending command fails with .timeout, the connection is
//    dropped and the client reconnects;
//  - our bookkeeping is finished before any user code runs (state callback, completions), and
//    failing a connection's commands pops them one at a time from the live FIFO, so send(),
//    stop() and start() may be called from any callback.

#if canImport(Glibc)
import Glibc
#endif
import Reactor

public final class RedisClient {
    public let endpoint: RedisEndpoint
    /// The server connected to (or last tried): the address given, or the primary the
    /// sentinels named last ("" and 0 before they named one).
    public private(set) var host: String
    public private(set) var port: Int
    public let options: RedisOptions
    private let loop: EventLoop
    /// .address: the IP literal connected to, `host` itself or what it resolved to once at init.
    private let address: Result<String, HiredisConnectFailure>
    /// .sentinel: finds the primary before each connect.
    private let resolver: SentinelResolver?
    /// The resolver is asking the sentinels (state .connecting, phaseTimer not armed).
    private var discovering = false
    /// .sentinel: connected, ROLE sent, its answer not in yet (state .connecting).
    private var awaitingRole = false

    public private(set) var state: RedisConnectionState = .disconnected("not started")
    /// Runs on the loop thread on every change of `state` (use it to run set-up commands again
    /// after a reconnect). It may call send(), stop() and start(). Capture the client weakly:
    /// the client keeps this closure.
    public var onStateChange: ((RedisConnectionState) -> Void)?

    private var isStarted = false
    private var connection: HiredisConnection?
    /// Closed connections, released from a timer: never inside their own watcher's callback.
    private var graveyard: [HiredisConnection] = []
    private var pending = PendingCommands()
    /// Connect timeout while connecting; the reconnect delay while disconnected and started.
    private var phaseTimer: LoopTimer!
    private var deadlineTimer: LoopTimer!
    private var reaper: LoopTimer!
    /// What deadlineTimer is armed for (UInt64.max: not armed); never later than the earliest
    /// pending deadline.
    private var armedDeadline: UInt64 = .max
    private var nextReconnectDelay: Duration

    /// `host`: an IPv4/IPv6 literal, or a name resolved here, once, with getaddrinfo (this
    /// blocks the calling thread; the loop never resolves). If it does not resolve, start()
    /// leaves the client disconnected with the reason and does not retry.
    public convenience init(loop: EventLoop, host: String, port: Int, options: RedisOptions = .init()) {
        self.init(loop: loop, endpoint: .address(host: host, port: port), options: options)
    }

    /// `.address`: as init(loop:host:port:). `.sentinel`: the sentinels' host names are resolved
    /// here, once, like `host` above; each query to a sentinel has options.connectTimeout to
    /// connect and options.commandTimeout to answer. When no sentinel names the primary (all
    /// down, or none knows the master's name) the client says why in `state` and tries again
    /// after the backoff delay, until stop().
    public init(loop: EventLoop, endpoint: RedisEndpoint, options: RedisOptions = .init()) {
        self.loop = loop
        self.endpoint = endpoint
        self.options = options
        switch endpoint {
        case .address(let host, let port):
            self.host = host
            self.port = port
            address = HiredisConnection.resolve(host)
            resolver = nil
        case .sentinel(let sentinels, let master):
            host = ""
            port = 0
            address = .failure(HiredisConnectFailure(reason: "no primary named yet"))
            resolver = SentinelResolver(loop: loop, sentinels: sentinels, master: master,
                                        connectTimeout: options.connectTimeout, replyTimeout: options.commandTimeout)
        }
        nextReconnectDelay = options.reconnectMin
        phaseTimer = LoopTimer(loop: loop) { [unowned self] in self.phaseTimerFired() }
        deadlineTimer = LoopTimer(loop: loop) { [unowned self] in self.deadlineTimerFired() }
        reaper = LoopTimer(loop: loop) { [unowned self] in self.graveyard.removeAll() }
    }

    deinit {
        // Call stop() first to have pending completions called; here they are dropped.
        connection?.close()
    }

    /// Commands sent whose reply has not come yet.
    public var pendingCount: Int { pending.count }

    /// Connects, and from then on reconnects by itself (backoff reconnectMin…reconnectMax,
    /// doubling, up to +25 % jitter) until stop(). No effect when already started.
    public func start() {
        loop.assertOnLoopThread()
        guard !isStarted else { return }
        isStarted = true
        nextReconnectDelay = options.reconnectMin
        connect()
    }

    /// Disconnects and stops reconnecting. Pending completions fail with
    /// .disconnected("stopped") before it returns; no callback of this client runs after it
    /// returns (until start()). Safe from inside a completion or the state callback.
    public func stop() {
        loop.assertOnLoopThread()
        isStarted = false
        phaseTimer.cancel()
        deadlineTimer.cancel()
        armedDeadline = .max
        resolver?.cancel()
        discovering = false
        retireConnection()
        setState(.disconnected("stopped"))
        failPending(.disconnected("stopped"))
    }

    /// Sends one command (binary-safe argv, redisAsyncCommandArgv). `completion` runs exactly
    /// once on the loop thread: with the reply (a Redis error is `.success(.error(…))`), or
    /// .notConnected at once (before send returns) when not connected, or .timeout /
    /// .disconnected. `timeout` (default options.commandTimeout) counts from now.
    /// Not for SUBSCRIBE/PSUBSCRIBE/MONITOR: hiredis routes their replies apart (a precondition).
    public func send(_ arguments: [RedisArgument], timeout: Duration? = nil,
                     completion: @escaping (Result<RedisReply, RedisFailure>) -> Void) {
        loop.assertOnLoopThread()
        precondition(!arguments.isEmpty, "RedisClient.send without a command")
        precondition(!Self.isPushCommand(arguments[0].bytes), "RedisClient does not support pub/sub or MONITOR")
        guard case .connected = state, let connection, connection.send(arguments) else {
            completion(.failure(.notConnected))
            return
        }
        let now = MonotonicClock.nanoseconds()
        let deadline = now &+ (timeout ?? options.commandTimeout).clampedNanoseconds
        pending.append(.init(deadline: deadline, completion: completion))
        if deadline < armedDeadline {
            armedDeadline = deadline
            deadlineTimer.schedule(after: .nanoseconds(Int64(deadline - now)))
        }
    }

    /// EVALSHA with the script's SHA-1; when Redis answers NOSCRIPT, EVAL with the source (which
    /// also caches the script in Redis) and its answer goes to `completion`. Completion as send's.
    public func eval(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument],
                     timeout: Duration? = nil, completion: @escaping (Result<RedisReply, RedisFailure>) -> Void) {
        var tail: [RedisArgument] = [RedisArgument(keys.count)]
        tail.reserveCapacity(1 + keys.count + arguments.count)
        tail += keys
        tail += arguments
        send(["EVALSHA", RedisArgument(script.sha1)] + tail, timeout: timeout) { [weak self] result in
            guard case .success(.error(let message)) = result, message.hasPrefix("NOSCRIPT"), let self else {
                completion(result)
                return
            }
            self.send(["EVAL", RedisArgument(script.source)] + tail, timeout: timeout, completion: completion)
        }
    }

    // MARK: connecting

    private func connect() {
        guard isStarted else { return }
        graveyard.removeAll()   // from start() or a timer: never inside a connection's callback
        if let resolver {
            discovering = true
            resolver.resolve { [unowned self] result in self.discovered(result) }
            // The answer may have come already (no sentinel could be tried).
            if discovering { setState(.connecting) }
            return
        }
        switch address {
        case .failure(let failure):
            isStarted = false
            setState(.disconnected(failure.reason))
        case .success(let ip):
            open(ip: ip)
        }
    }

    /// The sentinels named the primary (an IP literal), or could not.
    private func discovered(_ result: Result<Endpoint, HiredisConnectFailure>) {
        discovering = false
        guard isStarted else { return }
        switch result {
        case .failure(let failure):
            attemptFailed(failure.reason)
        case .success(let primary):
            host = primary.host
            port = Int(primary.port)
            open(ip: primary.host)
        }
    }

    private func open(ip: String) {
        do {
            connection = try HiredisConnection(loop: loop, ip: ip, port: port, delegate: self)
        } catch {
            attemptFailed(error.reason)
            return
        }
        phaseTimer.schedule(after: options.connectTimeout)
        setState(.connecting)
    }

    private func phaseTimerFired() {
        switch state {
        case .connecting: attemptFailed(awaitingRole ? "no answer to ROLE in time" : "connect timeout")
        case .disconnected: connect()
        case .connected: break
        }
    }

    /// A connect attempt failed: back off, then try again.
    private func attemptFailed(_ reason: String) {
        retireConnection()
        scheduleReconnect()
        setState(.disconnected(reason))
    }

    private func scheduleReconnect() {
        guard isStarted else { return }
        let delay = nextReconnectDelay
        let jitter = Duration.nanoseconds(Int64(UInt64.random(in: 0...(delay.clampedNanoseconds / 4))))
        phaseTimer.schedule(after: min(delay + jitter, options.reconnectMax))
        nextReconnectDelay = min(delay * 2, options.reconnectMax)
    }

    /// The current connection is gone (lost, or dropped for a timeout): fail its commands with
    /// `failure`, and reconnect after the backoff delay.
    private func connectionLost(_ reason: String, failing failure: RedisFailure) {
        retireConnection()
        deadlineTimer.cancel()
        armedDeadline = .max
        scheduleReconnect()
        setState(.disconnected(reason))
        failPending(failure)
    }

    private func retireConnection() {
        awaitingRole = false
        guard let c = connection else { return }
        connection = nil
        c.close()
        graveyard.append(c)
        reaper.schedule(after: .zero)
    }

    // MARK: user callbacks (last in every path: our state is consistent before they run)

    private func setState(_ new: RedisConnectionState) {
        guard new != state else { return }
        state = new
        onStateChange?(new)
    }

    /// Pops and fails pending commands one at a time, so that a completion calling stop() (which
    /// fails the rest with "stopped") or send() finds the FIFO as it is.
    private func failPending(_ failure: RedisFailure) {
        while let entry = pending.popFirst() { entry.completion(.failure(failure)) }
    }

    // MARK: deadlines

    private func deadlineTimerFired() {
        armedDeadline = .max
        guard let earliest = pending.earliestDeadline() else { return }
        let now = MonotonicClock.nanoseconds()
        if earliest <= now {
            connectionLost("command timeout", failing: .timeout)
        } else {
            armedDeadline = earliest
            deadlineTimer.schedule(after: .nanoseconds(Int64(earliest - now)))
        }
    }

    // MARK: helpers

    /// SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, MONITOR (any case): replies hiredis routes elsewhere.
    private static func isPushCommand(_ name: [UInt8]) -> Bool {
        guard name.count >= 7 && name.count <= 10 else { return false }
        let upper = String(decoding: name.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self)
        return upper == "SUBSCRIBE" || upper == "PSUBSCRIBE" || upper == "SSUBSCRIBE" || upper == "MONITOR"
    }
}

extension RedisClient: HiredisConnectionDelegate {
    func connectionEstablished(_ c: HiredisConnection) {
        guard c === connection else { return }
        if resolver != nil {
            // A primary that was demoted and came back as a replica must not be used: ask.
            guard c.send(["ROLE"]) else { return attemptFailed("the connection refused ROLE") }
            awaitingRole = true
            phaseTimer.schedule(after: options.commandTimeout)
            return
        }
        becameConnected()
    }

    private func becameConnected() {
        phaseTimer.cancel()
        nextReconnectDelay = options.reconnectMin
        setState(.connected)
    }

    func connection(_ c: HiredisConnection, received reply: RedisReply) {
        guard c === connection else { return }
        if awaitingRole {
            awaitingRole = false
            guard case .array(let role) = reply, role.first?.text == "master" else {
                let said = if case .array(let r) = reply, let first = r.first?.text { first } else { "\(reply)" }
                return attemptFailed("\(host):\(port) is not the primary (ROLE: \(said))")
            }
            return becameConnected()
        }
        if resolver != nil, case .error(let message) = reply, message.hasPrefix("READONLY") {
            // The primary was demoted while we were connected: this command did not run; it
            // and the ones after it fail, and the sentinels are asked again.
            let why = "\(host):\(port) answered READONLY (no longer the primary)"
            return connectionLost(why, failing: .disconnected(why))
        }
        guard let entry = pending.popFirst() else {
            connectionLost("a reply without a command", failing: .disconnected("a reply without a command"))
            return
        }
        entry.completion(.success(reply))
    }

    func connection(_ c: HiredisConnection, closed reason: String) {
        guard c === connection else { return }
        if case .connecting = state {
            attemptFailed(reason)
        } else {
            connectionLost(reason, failing: .disconnected(reason))
        }
    }
}
