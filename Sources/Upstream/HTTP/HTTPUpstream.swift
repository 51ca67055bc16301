// HTTPUpstream: the carrier that posts batches of messages to an SMS service's HTTP API
// (docs/upstream-http.md has the wire format). It owns the send queue, up to maxInFlight
// requests (one reused curl easy handle each, keep-alive connections in curl's pool), the
// retry back-off and the circuit breaker. Loop thread only: curl runs on the carrier's
// EventLoop through CurlLoopDriver, and every delegate call and event comes from there.

import CCurl
import Reactor
import SMPP
#if canImport(Glibc)
import Glibc
#endif

/// What happened, for the daemon's log (the Upstream module does no logging of its own).
public enum HTTPUpstreamEvent: Sendable, Equatable {
    /// `consecutiveFailures` failed requests in a row opened the circuit; queued messages were returned.
    case circuitOpened(consecutiveFailures: Int)
    /// The open interval passed: the next request is the trial.
    case circuitHalfOpen
    /// The trial succeeded.
    case circuitClosed
    /// A request failed and its batch waits for a retry (or was returned): a transport error,
    /// a timeout, 429, 5xx or a malformed body, as text.
    case requestFailed(reason: String)
}

/// Settings an HTTP carrier cannot run with.
public struct HTTPUpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
}

public final class HTTPUpstream: UpstreamCarrier {
    public let name: String
    public var kind: String { "http" }
    /// Strong (each report reads it); the owner sets it to nil after stop().
    public var delegate: UpstreamCarrierDelegate?
    /// Called on the loop thread for each event worth logging.
    public var onEvent: ((HTTPUpstreamEvent) -> Void)?
    /// 2xx bodies that could not be read (each retried like a 5xx).
    public private(set) var malformedResponses: UInt64 = 0

    private let settings: HTTPUpstreamSettings
    private let loop: EventLoop
    private let driver: CurlLoopDriver
    private let headers: CurlHeaders
    private let requestOptions: CurlRequestOptions
    private var wakeTimer: LoopTimer!
    private var queue = HTTPSendQueue()
    /// How our ids are written into requests and read back from answers.
    private let ids: MessageIDText
    private var breaker: CircuitBreaker
    var backoff: Backoff
    private var decoder = HTTPResultsDecoder()
    private var counters = UpstreamCarrierStats()

    /// One per request that may run at once, made on first use.
    private var slots: [RequestSlot] = []
    private var freeSlots: [Int] = []
    private var activeRequests = 0
    private var inFlightMessages = 0

    // Reused buffers: the request body, the batch being answered, expired messages, answered flags.
    private var body: [UInt8] = []
    private var answering: [OutboundMessage] = []
    private var expired: [OutboundMessage] = []
    private var answered: [Bool] = []

    private var isStarted = false
    private var isStopped = false
    /// Set while the carrier is inside its own work (where delegate calls may call back into
    /// send or stop): a pump asked for then runs when that work ends.
    private var isBusy = false
    private var needsPump = false

    private final class RequestSlot {
        let easy: CurlEasy
        var messages: [OutboundMessage] = []
        var attempt = 0
        var startedNs: UInt64 = 0
        var isActive = false
        init(easy: CurlEasy) { self.easy = easy }
    }

    /// A carrier posting to `settings.url` on `loop`, writing and reading our ids with `ids`.
    /// Throws when the settings cannot work (no http(s) URL, a size or count below 1) or curl
    /// cannot start.
    public init(name: String, settings: HTTPUpstreamSettings, loop: EventLoop, ids: MessageIDText = .decimal) throws(HTTPUpstreamError) {
        let url = settings.url.lowercased()
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw HTTPUpstreamError(description: "carrier \(name): url must start with http:// or https://")
        }
        guard settings.batchSize >= 1, settings.maxInFlight >= 1, settings.timeoutMs >= 1, settings.lingerMs >= 0 else {
            throw HTTPUpstreamError(description: "carrier \(name): batch size, in-flight limit and timeout must be at least 1")
        }
        guard let driver = CurlLoopDriver(loop: loop, maximumConnections: settings.maxInFlight) else {
            throw HTTPUpstreamError(description: "carrier \(name): libcurl did not start")
        }
        self.name = name
        self.settings = settings
        self.loop = loop
        self.ids = ids
        self.driver = driver
        breaker = CircuitBreaker(settings.breaker)
        backoff = Backoff(settings.retry, jitterSeed: MonotonicClock.nanoseconds())
        var lines = ["Content-Type: application/json", "Accept: application/json", "User-Agent: smppd",
                     // No "Expect: 100-continue" round trip before a large body.
                     "Expect:"]
        if let token = settings.bearerToken { lines.append("Authorization: Bearer \(token)") }
        headers = CurlHeaders(lines)
        requestOptions = CurlRequestOptions(
            url: settings.url, caFile: settings.caFile,
            username: settings.bearerToken == nil ? settings.username : nil,
            password: settings.bearerToken == nil ? settings.password : nil,
            timeoutMs: settings.timeoutMs,
            maximumResponseBytes: max(1 << 20, settings.batchSize * 4096))
        if let caFile = settings.caFile, access(caFile, R_OK) != 0 {
            throw HTTPUpstreamError(description: "carrier \(name): cannot read ca-file \(caFile)")
        }
        // The first request slot now: curl refusing the options is a settings error, found at start-up.
        guard let easy = CurlEasy(tag: 0, options: requestOptions, headers: headers) else {
            throw HTTPUpstreamError(description: "carrier \(name): libcurl refused the request options (url \(settings.url))")
        }
        slots.append(RequestSlot(easy: easy))
        freeSlots.append(0)
        wakeTimer = LoopTimer(loop: loop) { [unowned self] in self.pump() }
        driver.onDone = { [unowned self] easy, code in self.finished(easy, code) }
        body.reserveCapacity(settings.batchSize * 512)
    }

    deinit {
        driver.close()
    }

    // MARK: UpstreamCarrier

    public var isAvailable: Bool { !isStopped && breaker.isAvailable(nowMs: loop.nowMilliseconds) }

    public var stats: UpstreamCarrierStats {
        var s = counters
        s.inFlight = inFlightMessages
        s.queued = queue.count
        s.connections = max(driver.socketCount, activeRequests)
        s.circuit = breaker.state
        return s
    }

    public func start() {
        loop.assertOnLoopThread()
        guard !isStopped else { return }
        isStarted = true
        pump()
    }

    public func send(_ message: OutboundMessage) {
        loop.assertOnLoopThread()
        let now = loop.nowMilliseconds
        if breaker.advance(nowMs: now) { emit(.circuitHalfOpen) }
        if isStopped || breaker.state == .open {
            delegate?.carrier(self, returned: [message])
            return
        }
        queue.append(message, nowMs: now)
        // The first message of a batch arms the linger; a full batch goes as soon as a request may.
        let pending = queue.pendingCount
        if pending == 1 || (pending >= settings.batchSize && activeRequests < breaker.requestLimit(settings.maxInFlight)) {
            pump()
        }
    }

    /// Cancels the requests in flight and returns every message not answered yet. Final: the
    /// carrier takes nothing after it (send returns the message at once).
    public func stop() {
        loop.assertOnLoopThread()
        guard !isStopped else { return }
        isStopped = true
        wakeTimer.cancel()
        var unanswered: [OutboundMessage] = []
        for slot in slots where slot.isActive {
            driver.cancel(slot.easy)
            slot.isActive = false
            unanswered.append(contentsOf: slot.messages)
            slot.messages.removeAll()
        }
        activeRequests = 0
        inFlightMessages = 0
        unanswered.append(contentsOf: queue.removeAll())
        driver.close()
        if !unanswered.isEmpty { delegate?.carrier(self, returned: unanswered) }
    }

    // MARK: sending

    private func pump() {
        if isBusy { needsPump = true; return }
        isBusy = true
        repeat {
            needsPump = false
            pumpOnce()
        } while needsPump
        isBusy = false
    }

    /// Starts every request that may start now, reports expired messages, and arms the timer
    /// for the next moment something waiting becomes sendable.
    private func pumpOnce() {
        guard isStarted, !isStopped else { return }
        let now = loop.nowMilliseconds
        if breaker.advance(nowMs: now) { emit(.circuitHalfOpen) }
        queue.removeExpiredRetries(nowMs: now, into: &expired)
        // isStopped: a delegate call below (an expired or failed batch) may stop the carrier.
        while !isStopped, breaker.state != .open, activeRequests < breaker.requestLimit(settings.maxInFlight) {
            if let group = queue.takeDueRetry(nowMs: now) {
                let slot = freeSlot()
                slot.messages = group.messages
                dispatch(slot, attempt: group.attempt)
            } else if queue.pendingCount >= settings.batchSize
                        || (queue.pendingCount > 0 && now >= queue.lingerStartMs + settings.lingerMs) {
                let slot = freeSlot()
                queue.takeBatch(limit: settings.batchSize, nowMs: now, into: &slot.messages, expired: &expired)
                if slot.messages.isEmpty { freeSlots.append(slot.easy.tag); continue }
                dispatch(slot, attempt: 0)
            } else {
                break
            }
        }
        reportExpired()
        if isStopped { return }
        if breaker.state == .open {
            wake(atMs: breaker.openUntilMs, nowMs: now)
        } else if activeRequests < breaker.requestLimit(settings.maxInFlight),
                  let at = queue.nextWakeMs(lingerMs: settings.lingerMs) {
            wake(atMs: at, nowMs: now)
        }
        // Otherwise the next finished request pumps again.
    }

    private func wake(atMs: Int64, nowMs: Int64) {
        wakeTimer.schedule(after: .milliseconds(max(atMs - nowMs, 0)))
    }

    private func freeSlot() -> RequestSlot {
        if let i = freeSlots.popLast() { return slots[i] }
        guard let easy = CurlEasy(tag: slots.count, options: requestOptions, headers: headers) else {
            preconditionFailure("curl_easy_init failed (out of memory)")
        }
        let slot = RequestSlot(easy: easy)
        slots.append(slot)
        return slot
    }

    private func dispatch(_ slot: RequestSlot, attempt: Int) {
        HTTPBatchEncoder.encode(slot.messages, ids: ids, into: &body)
        slot.easy.prepare(body: body)
        slot.attempt = attempt
        slot.startedNs = MonotonicClock.nanoseconds()
        slot.isActive = true
        activeRequests += 1
        inFlightMessages += slot.messages.count
        if attempt > 0 { counters.retries += UInt64(slot.messages.count) }
        if !driver.start(slot.easy) {
            release(slot)
            failed(attempt: attempt, reason: "curl refused the request")
        }
    }

    /// Takes the slot's batch into `answering` and frees the slot.
    private func release(_ slot: RequestSlot) {
        slot.isActive = false
        activeRequests -= 1
        inFlightMessages -= slot.messages.count
        swap(&answering, &slot.messages)
        slot.messages.removeAll(keepingCapacity: true)
        freeSlots.append(slot.easy.tag)
    }

    // MARK: answers

    private func finished(_ easy: CurlEasy, _ code: CURLcode) {
        let slot = slots[easy.tag]
        guard slot.isActive else { return }
        let wasBusy = isBusy
        isBusy = true
        release(slot)
        let attempt = slot.attempt
        if code != CURLE_OK {
            failed(attempt: attempt, reason: easy.failureText(code))
        } else {
            let status = easy.responseCode
            countLatency(since: slot.startedNs)
            switch status {
            case 200..<300:
                do throws(HTTPBodyError) {
                    try decoder.decode(easy.response)
                    answer(attempt: attempt)
                } catch {
                    malformedResponses += 1
                    failed(attempt: attempt, reason: "HTTP \(status) with a malformed body: \(error)")
                }
            case 429, 500..<600:
                failed(attempt: attempt, reason: "HTTP \(status)")
            default:
                refuseAll(errorCode: UInt16(min(status, 999)))
            }
        }
        isBusy = wasBusy
        pump()
    }

    private func countLatency(since startedNs: UInt64) {
        let micros = (MonotonicClock.nanoseconds() &- startedNs) / 1_000
        counters.answerLatencySumMicros &+= micros &* UInt64(answering.count)
        counters.answerLatencyCount &+= UInt64(answering.count)
    }

    /// A 2xx with a readable body: each result reported, messages without one retried.
    private func answer(attempt: Int) {
        if breaker.recordSuccess() { emit(.circuitClosed) }
        answered.removeAll(keepingCapacity: true)
        answered.append(contentsOf: repeatElement(false, count: answering.count))
        var hint = 0
        for result in decoder.results {
            guard let i = index(of: result, from: hint) else { continue }
            answered[i] = true
            hint = i + 1
            let id = answering[i].id
            switch result.outcome {
            case .accepted(let upstreamID):
                counters.accepted += 1
                delegate?.carrier(self, accepted: id, upstreamID: upstreamID)
            case .refused(let state, let errorCode):
                counters.refused += 1
                delegate?.carrier(self, refused: id, state: state, errorCode: errorCode)
            }
        }
        if answered.contains(false) {
            var missing: [OutboundMessage] = []
            for i in answering.indices where !answered[i] { missing.append(answering[i]) }
            answering = missing
            failed(attempt: attempt, reason: nil)
        }
    }

    /// The unanswered message of the batch `result` names: results usually come in batch
    /// order, so the search starts after the last one found.
    private func index(of result: HTTPResult, from hint: Int) -> Int? {
        guard let id = ids.parse(decoder.idText(of: result)) else { return nil }
        let n = answering.count
        for k in 0..<n {
            let i = (hint + k) % n
            if !answered[i], answering[i].id == id { return i }
        }
        return nil
    }

    /// Any other answer (4xx but 429, 3xx): the service will not take the batch as it is.
    private func refuseAll(errorCode: UInt16) {
        if breaker.recordSuccess() { emit(.circuitClosed) }
        for m in answering {
            counters.refused += 1
            delegate?.carrier(self, refused: m.id, state: .rejected, errorCode: errorCode)
        }
    }

    /// The batch in `answering` goes back to the queue for retry `attempt + 1` (or, when the
    /// circuit is open or the carrier stopped, back to the SMSC). `reason` nil: the request
    /// itself was answered (messages missing from its results), so the breaker is not told.
    private func failed(attempt: Int, reason: String?) {
        let now = loop.nowMilliseconds
        var opened = false
        if let reason {
            emit(.requestFailed(reason: reason))
            opened = breaker.recordFailure(nowMs: now)
        }
        var kept: [OutboundMessage] = []
        kept.reserveCapacity(answering.count)
        var earliest = Int64.max
        for m in answering {
            if m.validityDeadlineMs <= now { expired.append(m) } else {
                kept.append(m)
                earliest = min(earliest, m.validityDeadlineMs)
            }
        }
        if !kept.isEmpty {
            queue.addRetry(HTTPRetryGroup(messages: kept, attempt: attempt + 1,
                                          dueMs: now + backoff.delayMs(attempt: attempt), earliestDeadlineMs: earliest))
        }
        reportExpired()
        if opened { emit(.circuitOpened(consecutiveFailures: breaker.consecutiveFailures)) }
        if breaker.state == .open || isStopped { returnQueued() }
    }

    private func returnQueued() {
        let all = queue.removeAll()
        if !all.isEmpty { delegate?.carrier(self, returned: all) }
    }

    private func reportExpired() {
        guard !expired.isEmpty else { return }
        var batch: [OutboundMessage] = []
        swap(&batch, &expired)
        for m in batch {
            counters.refused += 1
            delegate?.carrier(self, refused: m.id, state: .expired, errorCode: 0)
        }
        batch.removeAll(keepingCapacity: true)
        if expired.isEmpty { swap(&batch, &expired) }
    }

    private func emit(_ event: HTTPUpstreamEvent) { onEvent?(event) }
}
