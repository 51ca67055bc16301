// SentinelResolver: asks Redis Sentinels where a master is (RedisEndpoint.sentinel), the way
// the Sentinel client guidelines say: one sentinel at a time, `SENTINEL
// get-master-addr-by-name <master>` over a short-lived connection of its own, the next
// sentinel when one is down, slow or does not know the name; the sentinel that answered is
// asked first next time. Never blocks: the queries are HiredisConnections on the loop, each
// with a connect deadline and then a reply deadline. Loop thread only; owned by RedisClient.

#if canImport(Glibc)
import Glibc
#endif
import Reactor

final class SentinelResolver {
    let master: String
    private let sentinels: [(address: Endpoint, ip: Result<String, HiredisConnectFailure>)]
    private let connectTimeout: Duration
    private let replyTimeout: Duration
    private let loop: EventLoop

    /// The sentinel asked first: the one that answered last.
    private var preferred = 0
    /// Sentinels asked in this round, and why each could not say.
    private var asked = 0
    private var failures: [String] = []
    private var completion: ((Result<Endpoint, HiredisConnectFailure>) -> Void)?
    private var query: HiredisConnection?
    private var current: Endpoint?
    /// The query is connected and its command sent.
    private var awaitingReply = false
    private var timer: LoopTimer!
    /// Closed queries, released from a timer: never inside their own watcher's callback.
    private var graveyard: [HiredisConnection] = []
    private var reaper: LoopTimer!

    /// `sentinels`' host names are resolved here, once (blocking: not on the running loop).
    init(loop: EventLoop, sentinels: [Endpoint], master: String, connectTimeout: Duration, replyTimeout: Duration) {
        self.loop = loop
        self.master = master
        self.sentinels = sentinels.map { ($0, HiredisConnection.resolve($0.host)) }
        self.connectTimeout = connectTimeout
        self.replyTimeout = replyTimeout
        timer = LoopTimer(loop: loop) { [unowned self] in self.fail(self.awaitingReply ? "no answer in time" : "connect timeout") }
        reaper = LoopTimer(loop: loop) { [unowned self] in self.graveyard.removeAll() }
    }

    deinit { query?.close() }

    /// Whether a round of questions is in flight.
    var isResolving: Bool { completion != nil }

    /// Asks the sentinels in turn; `completion` runs once, on the loop thread, with the
    /// master's address (an IP literal and its port) or every sentinel's reason. It may run
    /// before resolve returns (no sentinel could even be tried).
    func resolve(completion: @escaping (Result<Endpoint, HiredisConnectFailure>) -> Void) {
        precondition(self.completion == nil, "SentinelResolver.resolve while resolving")
        self.completion = completion
        asked = 0
        failures.removeAll()
        askNext()
    }

    /// Abandons the round in flight; its completion is not called.
    func cancel() {
        completion = nil
        timer.cancel()
        retireQuery()
    }

    private func askNext() {
        while completion != nil {
            guard asked < sentinels.count else {
                let why = sentinels.isEmpty ? "no sentinels configured" : failures.joined(separator: "; ")
                return finish(.failure(HiredisConnectFailure(reason: "no sentinel named the master of \"\(master)\": \(why)")))
            }
            let index = (preferred + asked) % sentinels.count
            asked += 1
            let sentinel = sentinels[index]
            current = sentinel.address
            switch sentinel.ip {
            case .failure(let failure):
                failures.append("\(sentinel.address): \(failure.reason)")
            case .success(let ip):
                do {
                    query = try HiredisConnection(loop: loop, ip: ip, port: Int(sentinel.address.port), delegate: self)
                    awaitingReply = false
                    timer.schedule(after: connectTimeout)
                    return
                } catch {
                    failures.append("\(sentinel.address): \(error.reason)")
                }
            }
        }
    }

    /// The sentinel asked now could not say: on to the next.
    private func fail(_ reason: String) {
        guard completion != nil, let current else { return }
        timer.cancel()
        retireQuery()
        failures.append("\(current): \(reason)")
        askNext()
    }

    private func answered(_ address: Endpoint) {
        timer.cancel()
        retireQuery()
        preferred = (preferred + asked - 1) % max(sentinels.count, 1)
        finish(.success(address))
    }

    /// Our bookkeeping is done before the owner's code runs.
    private func finish(_ result: Result<Endpoint, HiredisConnectFailure>) {
        let c = completion
        completion = nil
        c?(result)
    }

    private func retireQuery() {
        guard let q = query else { return }
        query = nil
        q.close()
        graveyard.append(q)
        reaper.schedule(after: .zero)
    }

    private enum Answer {
        case master(Endpoint)
        case cannotSay(String)
    }

    /// `SENTINEL get-master-addr-by-name`'s answer: [ip, port], or nil for a name it does not know.
    private func interpret(_ reply: RedisReply) -> Answer {
        switch reply {
        case .array(let pair) where pair.count == 2:
            guard let ip = pair[0].text, let portText = pair[1].text, let port = Int(portText), (1...65_535).contains(port) else {
                return .cannotSay("unexpected answer \(reply)")
            }
            // A host name would need a blocking lookup here: the loop never resolves.
            var v4 = in_addr(), v6 = in6_addr()
            guard inet_pton(AF_INET, ip, &v4) == 1 || inet_pton(AF_INET6, ip, &v6) == 1 else {
                return .cannotSay("named \"\(ip)\", not an IP address (sentinel resolve-hostnames is not supported)")
            }
            return .master(Endpoint(host: ip, port: UInt16(port)))
        case .null:
            return .cannotSay("does not know a master named \"\(master)\"")
        case .error(let message):
            return .cannotSay(message)
        default:
            return .cannotSay("unexpected answer \(reply)")
        }
    }
}

extension SentinelResolver: HiredisConnectionDelegate {
    func connectionEstablished(_ c: HiredisConnection) {
        guard c === query else { return }
        guard c.send(["SENTINEL", "get-master-addr-by-name", RedisArgument(master)]) else {
            return fail("the connection refused the command")
        }
        awaitingReply = true
        timer.schedule(after: replyTimeout)
    }

    func connection(_ c: HiredisConnection, received reply: RedisReply) {
        guard c === query else { return }
        switch interpret(reply) {
        case .master(let address): answered(address)
        case .cannotSay(let why): fail(why)
        }
    }

    func connection(_ c: HiredisConnection, closed reason: String) {
        guard c === query else { return }
        fail(reason)
    }
}
