// The loop-thread domain: every session, the account list, bind checks and the failure limiter,
// the listeners, graceful shutdown and reload. Loop thread only (the daemon builds it on the
// thread that then calls loop.run()).
import Journal
import Logging
import Reactor
import SMPP
import Store
import Upstream
import Cluster

/// One SMPP listener to open: where, with TLS or (explicit opt-in) without, and whether other
/// processes may share its port (SO_REUSEPORT).
public struct ListenerSpec {
    public var endpoint: Endpoint
    public var tls: TLSServerContext?
    public var reusePort: Bool
    public init(endpoint: Endpoint, tls: TLSServerContext?, reusePort: Bool = false) {
        self.endpoint = endpoint
        self.tls = tls
        self.reusePort = reusePort
    }
}

public final class SMSCServer {
    public let loop: EventLoop
    public let logger: Logger
    public private(set) var settings: SMSCSettings
    private var accounts: AccountDirectory
    private var limiter: BindFailureLimiter
    private var verifiedPasswords = VerifiedPasswordCache()
    private var passwordWorker: PasswordCheckWorker!
    private var listeners: [(listener: Listener, isTLS: Bool)] = []
    private var sessions: [UInt64: Session] = [:]
    private var nextSessionID: UInt64 = 1
    /// Bound sessions per system_id, for max-sessions (C-BIND-6).
    private var boundCount: [String: Int] = [:]
    /// Password checks running off the loop, by token (= session id).
    private var pendingChecks: [UInt64: BindRequest] = [:]
    private var isShuttingDown = false
    private var shutdownTimer: LoopTimer?
    private var onShutdownComplete: (() -> Void)?
    let metrics = Metrics()
    /// accept-exhausted lines: at most one per 10 s (AcceptExhaustion.swift).
    var acceptExhaustionLog = RateLimitedLog(intervalMs: 10_000)
    /// Messages: store, carrier, deliver_sm routing (CONTRACT §4–§8).
    private(set) var messages: MessageService!

    public init(loop: EventLoop, settings: SMSCSettings, messaging: MessagingSettings = MessagingSettings(),
                accounts: [Account], logger: Logger) {
        self.loop = loop
        self.settings = settings
        self.accounts = AccountDirectory(accounts)
        self.limiter = BindFailureLimiter(policy: settings.bindFailures)
        self.logger = logger
        messages = MessageService(loop: loop, settings: messaging, accounts: accounts, logger: logger, metrics: metrics)
        passwordWorker = PasswordCheckWorker(loop: loop) { [unowned self] token, ok in
            self.passwordChecked(token: token, ok: ok)
        }
    }

    /// Opens a listener; returns the endpoint it really bound (port 0 → the OS's choice).
    @discardableResult
    public func listen(_ spec: ListenerSpec) throws -> Endpoint {
        let options = ConnectionOptions(handshakeTimeout: settings.handshakeTimeout)
        let listener = try Listener(loop: loop, endpoint: spec.endpoint, tls: spec.tls, options: options,
                                    proxyFrom: settings.proxyProtocolFrom, reusePort: spec.reusePort) { [unowned self] c in
            self.accept(c)
        }
        watchExhaustion(of: listener)
        listeners.append((listener, spec.tls != nil))
        return listener.boundEndpoint
    }

    public var sessionCount: Int { sessions.count }

    /// Builds the `[[carrier]]`s and `[[route]]`s of the messaging settings with `factory` and
    /// starts the carriers (issue 12). Call before openDurableStore (recovery hands messages
    /// back to the carriers). Throws a message naming the bad route key.
    public func enableForwarding(factory: (CarrierDefinition, EventLoop) throws(RouteError) -> UpstreamCarrier?) throws(RouteError) {
        try messages.enableForwarding(factory: factory)
    }

    /// Durable mode (C-DATA-1): replays the journal and keeps every later change in it. Call
    /// before listen(). Throws when the journal is corrupt or unreadable.
    public func openDurableStore(_ configuration: JournalConfiguration) throws -> JournalRecoverySummary {
        try messages.openJournal(configuration)
    }

    /// For the admin HTTP thread: waits until a journal batch is durable (nil in memory mode).
    public var durableWaiter: (@Sendable (UInt64, Duration) -> Bool)? {
        guard let writer = messages.durable?.journal.writer else { return nil }
        return { batch, timeout in writer.waitUntilDurable(batch, timeout: timeout) }
    }

    /// Carrier worker threads running, and the pthread_create errno of those that are not
    /// (nil: all started). With none, no message would ever get an outcome.
    public var carrierWorkersRunning: (count: Int, error: Int32?) {
        (messages.carrierStart.workersStarted, messages.carrierStart.threadError)
    }

    /// Bound sessions by mode, for /metrics.
    var boundSessionsByMode: [BindMode: Int] {
        var out: [BindMode: Int] = [:]
        for s in sessions.values { if case .bound(let m) = s.phase { out[m, default: 0] += 1 } }
        return out
    }

    /// Every session, bound or not, in the order they connected (admin reads).
    var sessionList: [Session] { sessions.keys.sorted().compactMap { sessions[$0] } }

    /// Bound sessions of one account.
    func boundSessions(of systemID: String) -> Int { boundCount[systemID, default: 0] }

    /// Whether SMPP connections are being accepted: a TLS listener is open and no shutdown began.
    var isAccepting: Bool { !isShuttingDown && listeners.contains { $0.isTLS } }

    /// The account list as it is now.
    var accountList: [Account] { accounts.all }
    func account(_ systemID: String) -> Account? { accounts[systemID] }

    private func accept(_ connection: Connection) {
        guard !isShuttingDown else { connection.close(); return }
        let id = nextSessionID
        nextSessionID += 1
        let session = Session(id: id, connection: connection, server: self)
        connection.delegate = session
        sessions[id] = session
    }

    func sessionDidClose(_ session: Session, reason: CloseReason, wasReady: Bool) {
        sessions[session.id] = nil
        pendingChecks[session.id] = nil
        if session.holdsBindSlot, let a = session.bindSlotAccount {
            boundCount[a, default: 1] -= 1
            if boundCount[a] == 0 { boundCount[a] = nil }
            publishSessionCounts(of: a)
        }
        if wasReady {
            logger.info("disconnect", metadata: session.metadata(["reason": "\(reason)"]))
        } else if case let .proxyHeaderInvalid(why) = reason {
            // peer: the socket's, i.e. the balancer (no header named anyone else).
            metrics.proxyHeaderWasInvalid()
            logger.warning("proxy-header-invalid", metadata: ["peer": "\(session.connection.peer)", "reason": "\(why)"])
        } else {
            logger.info("handshake-failed", metadata: ["peer": "\(session.connection.peer)", "reason": "\(reason)"])
        }
        if isShuttingDown && sessions.isEmpty { finishShutdown() }
    }

    // MARK: Binds (C-BIND-1, -2, -6)

    func checkBind(session: Session, systemID: String, password: [UInt8], mode: BindMode, sequenceNumber: UInt32) {
        let request = BindRequest(systemID: systemID, mode: mode, sequenceNumber: sequenceNumber, candidate: password)
        if limiter.isLockedOut(session.peerIP, nowMs: loop.nowMilliseconds) { return decide(request, for: session, .ESME_RBINDFAIL) }
        // In a cluster the lock-out of an address counts every node's failures (issue 15).
        if let coordinator = messages.cluster?.coordinator {
            // The session is captured strongly (until Redis answers): a weak reference would give
            // every Session a side table and slow all its reference counting (Connection.delegate).
            coordinator.checkLockout(ip: session.peerIP) { [weak self, session] result in
                guard let self, self.sessions[session.id] === session else { return }
                switch result {
                case .clear: self.checkPassword(request, session: session)
                case .locked: self.decide(request, for: session, .ESME_RBINDFAIL)
                case .unavailable:
                    self.logClusterUnavailable("bind")
                    self.decide(request, for: session, .ESME_RSYSERR)
                }
            }
            return
        }
        checkPassword(request, session: session)
    }

    private func checkPassword(_ request: BindRequest, session: Session) {
        let (systemID, password, mode) = (request.systemID, request.candidate, request.mode)
        guard let account = accounts[systemID] else { return decide(request, for: session, .ESME_RINVPASWD) }
        if account.password.isSlowToVerify && !verifiedPasswords.matches(password, account: account) {
            pendingChecks[session.id] = request
            passwordWorker.submit(PasswordCheck(token: session.id, hash: account.password, candidate: password))
            return
        }
        let passwordOK = account.password.isSlowToVerify ? true : account.password.verify(password)
        decide(request, for: session, admit(account, mode: mode, ip: session.peerIP, passwordOK: passwordOK), account)
    }

    /// The checker thread's answer for a slow hash: the same decision as a fast password's.
    private func passwordChecked(token: UInt64, ok: Bool) {
        guard let p = pendingChecks.removeValue(forKey: token), let session = sessions[token] else { return }
        // The account may have been reloaded meanwhile: decide against the current one.
        guard let account = accounts[p.systemID] else {
            return checkBind(session: session, systemID: p.systemID, password: p.candidate, mode: p.mode, sequenceNumber: p.sequenceNumber)
        }
        if ok { verifiedPasswords.remember(p.candidate, account: account) }
        decide(p, for: session, admit(account, mode: p.mode, ip: session.peerIP, passwordOK: ok), account)
    }

    /// The rest of the bind checks once the password is known (same order for both paths).
    private func admit(_ account: Account, mode: BindMode, ip: String, passwordOK: Bool) -> CommandStatus {
        guard passwordOK else { return .ESME_RINVPASWD }
        guard account.bindModes.contains(mode), account.allows(ip: ip) else { return .ESME_RBINDFAIL }
        guard boundCount[account.systemID, default: 0] < account.maxSessions else { return .ESME_RBINDFAIL }
        return .ESME_ROK
    }

    /// The one place a bind is decided, whichever path checked the password: the limiter
    /// learns of it, a lockout it starts is logged, a success takes a bind slot, and the
    /// session answers. `account` is the account matched, if any (nil after a refusal).
    private func decide(_ request: BindRequest, for session: Session, _ status: CommandStatus, _ account: Account? = nil) {
        if status == .ESME_ROK, let account {
            limiter.recordSuccess(session.peerIP)
            boundCount[account.systemID, default: 0] += 1
            session.holdsBindSlot = true
            session.bindSlotAccount = account.systemID
            session.bindSlotReceives = request.mode.canReceive
            if let coordinator = messages.cluster?.coordinator {
                coordinator.recordBindSuccess(ip: session.peerIP)
                return claimClusterSlot(request, for: session, account, coordinator)
            }
        } else if status == .ESME_RINVPASWD {
            if limiter.recordFailure(session.peerIP, nowMs: loop.nowMilliseconds) {
                logger.warning("bind-lockout", metadata: ["ip": "\(session.peerIP)"])
            }
            if let coordinator = messages.cluster?.coordinator {
                let p = settings.bindFailures, ip = session.peerIP
                coordinator.recordBindFailure(ip: ip, windowMs: Self.ms(p.window), maxFailures: p.maxFailures,
                                              lockoutMs: Self.ms(p.lockout)) { [logger] started in
                    if started { logger.warning("bind-lockout", metadata: ["ip": "\(ip)", "scope": "cluster"]) }
                }
            }
        }
        session.bindDecided(sequenceNumber: request.sequenceNumber, mode: request.mode, systemID: request.systemID,
                            account: status == .ESME_ROK ? account : nil, status: status)
        if status == .ESME_ROK, let account { messages.accountBound(account.systemID) }
    }

    /// Cluster mode: the bind holds a slot here already (so the heartbeat counts it); it needs
    /// one of the account's max-sessions counted over every node too.
    private func claimClusterSlot(_ request: BindRequest, for session: Session, _ account: Account, _ coordinator: ClusterCoordinator) {
        coordinator.claimSession(account: account.systemID, maxSessions: account.maxSessions,
                                 receiver: request.mode.canReceive) { [weak self, session] result in
            guard let self else { return }
            guard self.sessions[session.id] === session else {
                // Closed meanwhile: its slot here is gone already; the shared count follows.
                return self.publishSessionCounts(of: account.systemID)
            }
            guard result == .granted else {
                session.holdsBindSlot = false
                self.boundCount[account.systemID, default: 1] -= 1
                if self.boundCount[account.systemID] == 0 { self.boundCount[account.systemID] = nil }
                self.publishSessionCounts(of: account.systemID)
                if result == .unavailable { self.logClusterUnavailable("bind") }
                return session.bindDecided(sequenceNumber: request.sequenceNumber, mode: request.mode, systemID: request.systemID,
                                           account: nil, status: result == .full ? .ESME_RBINDFAIL : .ESME_RSYSERR)
            }
            session.bindDecided(sequenceNumber: request.sequenceNumber, mode: request.mode, systemID: request.systemID,
                                account: account, status: .ESME_ROK)
            self.messages.accountBound(account.systemID)
        }
    }

    private static func ms(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        return s * 1000 + atto / 1_000_000_000_000_000
    }

    // MARK: Cluster (issue 15)

    /// Bound sessions per account on this node, and how many of them receive (heartbeat).
    var clusterSessionCounts: [String: (all: Int, receivers: Int)] {
        var out: [String: (all: Int, receivers: Int)] = [:]
        for s in sessions.values where s.holdsBindSlot {
            guard let a = s.bindSlotAccount else { continue }
            var c = out[a] ?? (0, 0)
            c.all += 1
            if s.bindSlotReceives { c.receivers += 1 }
            out[a] = c
        }
        return out
    }

    private func publishSessionCounts(of systemID: String) {
        guard let coordinator = messages.cluster?.coordinator else { return }
        let c = clusterSessionCounts[systemID] ?? (0, 0)
        coordinator.sessionsChanged(account: systemID, all: c.all, receivers: c.receivers)
    }

    /// At most one line per 10 s saying what the shared store's absence refused.
    private var clusterUnavailableLog = RateLimitedLog(intervalMs: 10_000)
    func logClusterUnavailable(_ what: String) {
        guard clusterUnavailableLog.admit(nowMs: loop.nowMilliseconds) != nil else { return }
        logger.error("cluster-unavailable", metadata: [
            "refused": "\(what)", "redis": "\(messages.cluster?.coordinator.state ?? .connecting)",
            "effect": "binds, and submits of accounts with credits or a rate once their lease is spent, are refused with ESME_RSYSERR until Redis answers again",
        ])
    }

    /// Joins the cluster (issue 15): call before openDurableStore and listen().
    public func enableCluster(_ settings: ClusterSettings) {
        let coordinator = ClusterCoordinator(loop: loop, settings: settings)
        messages.enableCluster(coordinator)
        coordinator.sessionCounts = { [unowned self] in self.clusterSessionCounts }
        coordinator.configuredAccounts = { [unowned self] in self.accounts.all.map(\.systemID) }
        coordinator.onAvailabilityChange = { [logger, unowned coordinator] up, why in
            var place: Logger.Metadata = ["redis": "\(coordinator.redisServer)"]
            if !settings.sentinels.isEmpty { place["via"] = "\(settings.redisDescription)" }
            if up {
                logger.notice("cluster-connected", metadata: place.merging(["node": "\(settings.node)"]) { a, _ in a })
            } else {
                logger.error("cluster-disconnected", metadata: place.merging([
                    "reason": "\(why)",
                    "effect": "binds, and submits of accounts with credits or a rate once their lease is spent, get ESME_RSYSERR; receipts for receivers on other nodes wait here; it reconnects by itself",
                ]) { a, _ in a })
            }
        }
        coordinator.start()
    }

    // MARK: Reload (SIGHUP, C-OPS-2)

    /// New accounts and settings; bound sessions stay bound. New TLS contexts apply to new connections.
    public func reload(accounts newAccounts: [Account], settings newSettings: SMSCSettings, tls: TLSServerContext?) {
        accounts = AccountDirectory(newAccounts)
        messages.updateAccounts(newAccounts)
        settings = newSettings
        limiter.policy = newSettings.bindFailures
        for l in listeners { l.listener.proxyFrom = newSettings.proxyProtocolFrom }
        verifiedPasswords.removeAll()
        if let tls {
            for l in listeners where l.isTLS { l.listener.replaceTLSContext(tls) }
        }
        logger.info("reload", metadata: ["accounts": "\(newAccounts.count)", "sessions": "\(sessions.count)"])
    }

    // MARK: Shutdown (C-SESS-4)

    /// Stops accepting, unbinds every session, and calls `completion` once all are closed or
    /// the shutdown timeout passed.
    public func shutdown(_ completion: @escaping () -> Void) {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        onShutdownComplete = completion
        for l in listeners { l.listener.close() }
        logger.info("shutdown", metadata: ["sessions": "\(sessions.count)"])
        if sessions.isEmpty { return finishShutdown() }
        for s in Array(sessions.values) { s.beginUnbind() }
        let timer = LoopTimer(loop: loop) { [unowned self] in
            for s in Array(self.sessions.values) { s.closeNow() }
            self.finishShutdown()
        }
        timer.schedule(after: settings.shutdownTimeout)
        shutdownTimer = timer
    }

    private func finishShutdown() {
        shutdownTimer?.cancel()
        shutdownTimer = nil
        guard let done = onShutdownComplete else { return }
        onShutdownComplete = nil
        passwordWorker.stop()
        messages.leaveCluster { [messages] in
            messages!.stop()
            done()
        }
    }
}

/// A bind being decided: what the session asked for, kept while the checker thread hashes.
private struct BindRequest {
    let systemID: String
    let mode: BindMode
    let sequenceNumber: UInt32
    let candidate: [UInt8]
}
