// Bench: the run: one EventLoop on the main thread, N BenchSessions, the count/duration bounds,
// the token-bucket rate limiter shared by all sessions, counters and HdrHistograms, the progress
// line each second (stderr), and the end: drain, unbind, report. Loop thread only.

#if canImport(Glibc)
import Glibc
#endif
import Histogram
import Reactor
import SMPP

final class Bench {
    let settings: BenchSettings
    let tls: TLSClientContext?
    let loop: EventLoop
    let templates: SubmitTemplates
    let connectionOptions: ConnectionOptions
    private var sessions: [BenchSession] = []

    // Bounds.
    private var unsent: Int            // Int.max when only --duration bounds the run
    private var sendingStopped = false
    private(set) var isFinishing = false
    private var endedSessions = 0

    // Rate limiter.
    private var tokens: Double = 0
    private var lastRefill: UInt64 = 0
    private var starved: [BenchSession] = []
    private var rateTimer: LoopTimer?

    // Counters.
    var reconnects = 0
    private(set) var moReceived = 0
    private var lastMONs: UInt64 = 0
    private(set) var submitted = 0
    private(set) var answered = 0
    private(set) var answeredOK = 0
    private(set) var lostCount = 0
    private var errors: [String: Int] = [:]
    private var errorTotal = 0
    private var receiptsMatched = 0
    private var receiptsUnmatched = 0
    private var pendingReceipts: [String: UInt64] = [:]
    private var earlyReceipts: [String: UInt64] = [:]
    private var boundNow = 0
    private var everBound = 0

    // Timing.
    private var startNs: UInt64 = 0          // first submit
    private var lastAnswerNs: UInt64 = 0
    private var lastReceiptNs: UInt64 = 0
    private var submitLatency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    private var receiptLatency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    private var intervalLatency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    private var progressTimer: LoopTimer?
    private var durationTimer: LoopTimer?
    private var drainTimer: LoopTimer?
    private var unbindTimer: LoopTimer?
    private var lastProgress: (ns: UInt64, answered: Int, receipts: Int, errors: Int) = (0, 0, 0, 0)
    private var exitOK = true

    init(settings: BenchSettings, tls: TLSClientContext?) throws {
        self.settings = settings
        self.tls = tls
        loop = try EventLoop()
        templates = try SubmitTemplates(source: "447700900000", destination: settings.destination,
                                        registeredDelivery: settings.receipts ? 1 : 0)
        var options = ConnectionOptions()
        options.releaseIdleBuffersAfter = nil
        options.outputCapacityBytes = max(64 * 1024, settings.window * templates.maxLength * 2)
        connectionOptions = options
        unsent = settings.bindKind == .receiver ? 0 : (settings.count ?? Int.max)
        if settings.bindKind == .receiver && settings.duration == nil { unsent = 0 }
    }

    /// Runs to the end; true when every submit was answered ESME_ROK (and every receipt matched).
    func run() -> Bool {
        Sys.raiseFileLimit()
        note("smppbench: \(settings.connections) x \(settings.bindName) to \(settings.endpoint) (\(settings.tlsLabel)), window \(settings.window), batch \(settings.batch), "
             + (settings.rate > 0 ? "rate \(Int(settings.rate))/s, " : "")
             + (settings.count.map { "count \($0)" } ?? "duration \(settings.duration!) s") + ", mix \(settings.mix)"
             + (settings.receipts ? ", receipts" : "") + placementNote)
        lastRefill = MonotonicClock.nanoseconds()
        tokens = min(settings.rate, Double(settings.batch))
        for (i, plan) in SessionPlan.plans(for: settings).enumerated() {
            let s = BenchSession(bench: self, index: i, plan: plan)
            sessions.append(s)
            if plan.isReceiptReceiver { receiversExpected += 1 }
        }
        // Receivers first: a receipt must find its receiver bound when it is made.
        for s in sessions where s.plan.isReceiptReceiver || receiversExpected == 0 { s.connect() }
        let p = LoopTimer(loop: loop) { [unowned self] in self.progress() }
        progressTimer = p
        p.schedule(after: .seconds(1))
        loop.run()
        report()
        return exitOK
    }

    /// Receiver sessions (--receiver-port) still to bind before the submitting sessions connect.
    private var receiversExpected = 0
    private var submittersStarted = false

    /// The --also-port / --receiver-port placement, for the first line; empty without them.
    private var placementNote: String {
        var text = ""
        if !settings.alsoEndpoints.isEmpty {
            text += ", spread over \(([settings.endpoint] + settings.alsoEndpoints).map(\.description).joined(separator: " "))"
        }
        if let rx = settings.receiverEndpoint { text += ", receipts on \(settings.receiverSessions) x receiver to \(rx)" }
        return text
    }

    func note(_ text: String) {
        Report.note(text)
    }

    // MARK: from sessions

    var remainingToSend: Int { sendingStopped ? 0 : unsent }

    func submitSent() {
        if startNs == 0 {
            startNs = MonotonicClock.nanoseconds()
            lastProgress.ns = startNs
            if let d = settings.duration {
                let t = LoopTimer(loop: loop) { [unowned self] in self.stopSending() }
                durationTimer = t
                t.schedule(after: .milliseconds(Int64(d * 1000)))
            }
        }
        submitted += 1
        if unsent != Int.max {
            unsent -= 1
            if unsent == 0 { stopSending() }
        }
    }

    func submitAnswered(status: CommandStatus, messageID: BytesView, sentAt: UInt64, now: UInt64) {
        answered += 1
        lastAnswerNs = now
        let us = (now &- sentAt) / 1000
        submitLatency.record(us)
        intervalLatency.record(us)
        if status == .ESME_ROK {
            answeredOK += 1
            if settings.receipts {
                let id = messageID.makeString()
                if let at = earlyReceipts.removeValue(forKey: id) {
                    matchReceipt(sentAt: sentAt, at: at)
                } else {
                    pendingReceipts[id] = sentAt
                }
            }
        } else {
            count(error: status.name)
        }
        checkDone()
    }

    func receiptArrived(id: BytesView) {
        let now = MonotonicClock.nanoseconds()
        let key = id.makeString()
        guard settings.receipts else {
            receiptsUnmatched += 1
            return
        }
        if let sentAt = pendingReceipts.removeValue(forKey: key) {
            matchReceipt(sentAt: sentAt, at: now)
            checkDone()
        } else {
            // Before its submit_sm_resp (another session's socket was faster), or unknown.
            earlyReceipts[key] = now
        }
    }

    private func matchReceipt(sentAt: UInt64, at: UInt64) {
        receiptsMatched += 1
        lastReceiptNs = at
        receiptLatency.record((at &- sentAt) / 1000)
    }

    func count(error name: String, _ n: Int = 1) {
        errors[name, default: 0] += n
        errorTotal += n
    }

    func lost(_ n: Int) {
        lostCount += n
        checkDone()
    }

    func sessionBound(_ session: BenchSession) {
        boundNow += 1
        everBound += 1
        if session.plan.isReceiptReceiver && !submittersStarted {
            receiversExpected -= 1
            if receiversExpected == 0 {
                submittersStarted = true
                for s in sessions where !s.plan.isReceiptReceiver { s.connect() }
            }
        }
    }

    func sessionDropped(_ session: BenchSession) {
        boundNow = max(0, boundNow - 1)
        checkDone()
    }

    func sessionEnded(_ session: BenchSession) {
        endedSessions += 1
        if session.isBound { boundNow = max(0, boundNow - 1) }
        if session.plan.isReceiptReceiver && !submittersStarted && !isFinishing {
            // Its bind was refused: the submitters, which wait for it, will never connect.
            finish(reason: "receiver session \(session.index) ended before it bound")
        }
        if endedSessions >= sessions.count {
            if !isFinishing { finish(reason: "every session ended") }
            shutDown()
        }
    }

    /// Takes `n` tokens, or registers the session to be pumped when the bucket refills.
    func takeTokens(_ n: Int, session: BenchSession) -> Bool {
        guard settings.rate > 0 else { return true }
        let now = MonotonicClock.nanoseconds()
        let capacity = max(Double(settings.batch), settings.rate / 100)
        tokens = min(capacity, tokens + Double(now &- lastRefill) * settings.rate / 1e9)
        lastRefill = now
        if tokens >= Double(n) {
            tokens -= Double(n)
            return true
        }
        if !starved.contains(where: { $0 === session }) { starved.append(session) }
        if rateTimer == nil || !(rateTimer!.isScheduled) {
            let t = rateTimer ?? LoopTimer(loop: loop) { [unowned self] in self.refillTick() }
            rateTimer = t
            let wait = max(0.0005, (Double(n) - tokens) / settings.rate)
            t.schedule(after: .microseconds(Int64(wait * 1e6)))
        }
        return false
    }

    private func refillTick() {
        let waiting = starved
        starved.removeAll(keepingCapacity: true)
        for s in waiting { s.pump() }
    }

    // MARK: the end

    private func stopSending() {
        guard !sendingStopped else { return }
        sendingStopped = true
        let t = LoopTimer(loop: loop) { [unowned self] in
            self.finish(reason: "drain timeout (\(self.settings.drainSeconds) s) with \(self.outstanding) responses and \(self.pendingReceipts.count) receipts outstanding")
        }
        drainTimer = t
        t.schedule(after: .milliseconds(Int64(settings.drainSeconds * 1000)))
        checkDone()
    }

    private var outstanding: Int { sessions.reduce(0) { $0 + $1.inFlightCount } }

    private func checkDone() {
        guard sendingStopped, !isFinishing else { return }
        guard outstanding == 0 else { return }
        if settings.receipts && !pendingReceipts.isEmpty { return }
        if settings.awaitMO && moReceived < answeredOK { return }
        finish(reason: "done")
    }

    /// A deliver_sm that is not a receipt.
    func moArrived() {
        moReceived += 1
        lastMONs = MonotonicClock.nanoseconds()
        checkDone()
    }

    private func finish(reason: String) {
        guard !isFinishing else { return }
        isFinishing = true
        if reason != "done" { note("smppbench: finishing: \(reason)") }
        drainTimer?.cancel()
        progressTimer?.cancel()
        rateTimer?.cancel()
        let t = LoopTimer(loop: loop) { [unowned self] in self.shutDown() }
        unbindTimer = t
        t.schedule(after: .seconds(3))
        for s in sessions { s.finish() }
    }

    private var isShutDown = false

    private func shutDown() {
        guard !isShutDown else { return }
        isShutDown = true
        unbindTimer?.cancel()
        loop.closeAllConnections()
        loop.stop()
    }

    // MARK: progress and report

    private func progress() {
        progressTimer?.schedule(after: .seconds(1))
        let now = MonotonicClock.nanoseconds()
        let since = lastProgress.ns == 0 ? now : lastProgress.ns
        let seconds = max(Double(now &- since) / 1e9, 1e-9)
        let rate = Double(answered - lastProgress.answered) / seconds
        let receiptRate = Double(receiptsMatched - lastProgress.receipts) / seconds
        let elapsed = startNs == 0 ? 0 : Double(now &- startNs) / 1e9
        var line = "[\(fmt(elapsed, 0))s] submit_resp/s \(Int(rate)) p50 \(Report.ms(intervalLatency.valueAtPercentile(50))) p99 \(Report.ms(intervalLatency.valueAtPercentile(99)))"
        line += " | sent \(submitted) answered \(answered) in-flight \(outstanding) errors \(errorTotal)"
        if settings.receipts { line += " | receipts/s \(Int(receiptRate)) pending \(pendingReceipts.count)" }
        line += " | bound \(boundNow)/\(sessions.count)"
        if reconnects > 0 { line += " reconnects \(reconnects)" }
        note(line)
        intervalLatency.reset()
        lastProgress = (now, answered, receiptsMatched, errorTotal)
    }

    private func report() {
        let endNs = max(lastAnswerNs, startNs)
        let seconds = startNs == 0 ? 0 : Double(endNs - startNs) / 1e9
        let submitRate = seconds > 0 ? Double(answered) / seconds : 0
        let receiptSeconds = startNs == 0 || lastReceiptNs == 0 ? 0 : Double(lastReceiptNs - startNs) / 1e9
        let receiptRate = receiptSeconds > 0 ? Double(receiptsMatched) / receiptSeconds : 0
        let h = submitLatency
        let r = receiptLatency
        let receiptsPending = pendingReceipts.count
        let moSeconds = startNs == 0 || lastMONs == 0 ? 0 : Double(lastMONs - startNs) / 1e9
        let moRate = moSeconds > 0 ? Double(moReceived) / moSeconds : 0
        exitOK = errorTotal == 0 && answered == submitted && (!settings.receipts || receiptsPending == 0) && everBound > 0
            && (!settings.awaitMO || moReceived >= answeredOK)

        var out = "smppbench report\n"
        out += "  target         \(settings.endpoint) \(settings.tlsLabel), \(settings.connections) x \(settings.bindName), window \(settings.window), batch \(settings.batch)"
        out += settings.rate > 0 ? ", rate \(Int(settings.rate))/s" : ""
        out += placementNote + "\n"
        out += "  submit_sm      sent \(submitted), answered \(answered) (\(answeredOK) ESME_ROK) in \(fmt(seconds, 3)) s = \(Int(submitRate.rounded())) /s\n"
        out += "  submit->resp   \(Report.percentilesText(h))\n"
        if settings.receipts {
            out += "  receipts       matched \(receiptsMatched), pending \(receiptsPending), unmatched \(receiptsUnmatched + earlyReceipts.count) = \(Int(receiptRate.rounded())) /s\n"
            out += "  submit->receipt p50 \(r.valueAtPercentile(50)) us  p99 \(r.valueAtPercentile(99)) us  p99.9 \(r.valueAtPercentile(99.9)) us  max \(r.max) us\n"
        }
        if settings.awaitMO {
            out += "  MO deliver_sm  received \(moReceived) of \(answeredOK) expected = \(Int(moRate.rounded())) /s\n"
        }
        var j = "\"submit_per_s\":\(fmt(submitRate, 1)),"
        j += "\"receipts_per_s\":\(fmt(receiptRate, 1)),"
        j += Report.percentilesJSON(h) + ","
        j += "\"receipt_p50_us\":\(r.valueAtPercentile(50)),\"receipt_p99_us\":\(r.valueAtPercentile(99)),\"receipt_p999_us\":\(r.valueAtPercentile(99.9)),"
        j += "\"submitted\":\(submitted),\"answered\":\(answered),\"answered_ok\":\(answeredOK),"
        j += "\"receipts_matched\":\(receiptsMatched),\"receipts_pending\":\(receiptsPending),"
        j += "\"mo_received\":\(moReceived),\"mo_per_s\":\(fmt(moRate, 1)),"
        j += "\"sessions\":\(settings.connections),\"window\":\(settings.window),\"batch\":\(settings.batch),"
        j += "\"rate\":\(fmt(settings.rate, 1)),\"seconds\":\(fmt(seconds, 3)),\"reconnects\":\(reconnects),"
        j += "\"mix\":\"\(settings.mix)\",\"receipts\":\(settings.receipts),"
        let sessions = "\(settings.connections), reconnects \(reconnects), MO deliver_sm \(moReceived)"
        if !Report.finish(mode: "submit", text: out, sessions: sessions, json: j, errors: errors, settings: settings, histogram: h) {
            exitOK = false
        }
    }

    private func fmt(_ v: Double, _ decimals: Int) -> String { Report.fmt(v, decimals) }
}
