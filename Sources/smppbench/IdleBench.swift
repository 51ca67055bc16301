// IdleBench: --measure idle (hold mode). Opens --connections N sessions, at most --connect-batch
// of them connecting, handshaking or binding at a time (so neither the server's listen backlog nor
// its handshake timeout is overrun), binds them all, prints `smppbench: holding N bound sessions`
// to stderr once every session is bound (or refused), then holds them idle (answering
// enquire_link and deliver_sm; sending enquire_link only with --enquire-link) for --duration
// seconds or until SIGINT/SIGTERM, and finally unbinds every one (at most --drain seconds).
// A bound session that is lost reconnects with backoff 1, 2, 4 ... 60 s (C-OPS-3); a refused
// bind is counted by status and not retried. Loop thread only.

#if canImport(Glibc)
import Glibc
#endif
import Histogram
import Reactor
import SMPP

final class IdleBench: ProbeDriver {
    let settings: BenchSettings
    let loop: EventLoop
    private let setup: ProbeSetup
    private var probes: [ProbeSession] = []
    private var signals: [SignalWatcher] = []

    private enum Phase { case ramping, holding, finishing, finished }
    private var phase = Phase.ramping

    // Ramp.
    private var nextToStart = 0
    private var rampInFlight = 0
    private var inRamp: [Bool] = []
    /// Bound once, or refused: the session no longer holds up the "holding" line.
    private var settled: [Bool] = []
    private var settledCount = 0
    private var refused: [Bool] = []
    private var isBound: [Bool] = []

    // Reconnects.
    private var backoff: [ReconnectBackoff] = []
    private var reconnectTimers: [LoopTimer?] = []
    private var reconnects = 0

    // Counters.
    private var bound = 0
    private var refusedCount = 0
    private var busy = 0                      // probes with an attempt in progress
    private var boundAtHoldStart = 0
    private var boundAtHoldEnd = 0
    private var unbound = 0
    private var drops = 0
    private var errors: [String: Int] = [:]
    private var enquireLinksAnswered = 0
    private var enquireLinksSent = 0
    private var enquireLinkResps = 0
    private var deliverSMAnswered = 0
    private var notesLeft = 20

    // Timing.
    private var startNs: UInt64 = 0
    private var holdStartNs: UInt64 = 0
    private var holdEndNs: UInt64 = 0
    private var bindLatency = Report.latencyHistogram()
    private var handshakeLatency = Report.latencyHistogram()
    private var progressTimer: LoopTimer?
    private var rampTimer: LoopTimer?
    private var holdTimer: LoopTimer?
    private var enquireTimer: LoopTimer?
    private var enquireCursor = 0
    private var unbindTimer: LoopTimer?

    init(settings: BenchSettings, tls: TLSClientContext?) throws {
        self.settings = settings
        loop = try EventLoop()
        setup = ProbeSetup(loop: loop, settings: settings, tls: tls, plan: .bindHold)
    }

    /// Runs to the end; true when all N sessions were bound through the hold and unbound cleanly.
    func run() -> Bool {
        let n = settings.connections
        let fdLimit = Sys.raiseFileLimit()
        if fdLimit < n + 64 {
            Report.note("smppbench: warning: the descriptor limit is \(fdLimit), too low for \(n) sessions (raise the hard limit: ulimit -Hn)")
        }
        Report.note("smppbench: measure idle: \(n) x \(settings.bindName) to \(settings.endpoint) (\(settings.tlsLabel)), connect batch \(settings.connectBatch), "
                    + (settings.duration.map { "hold \($0) s" } ?? "hold until SIGINT/SIGTERM")
                    + (settings.enquireLinkSeconds > 0 ? ", enquire_link every \(settings.enquireLinkSeconds) s" : ""))
        for sig in [SIGINT, SIGTERM] {
            signals.append(SignalWatcher(loop: loop, signal: sig) { [unowned self] in self.interrupted() })
        }
        probes.reserveCapacity(n)
        for i in 0..<n { probes.append(ProbeSession(driver: self, setup: setup, index: i)) }
        inRamp = Array(repeating: false, count: n)
        settled = Array(repeating: false, count: n)
        refused = Array(repeating: false, count: n)
        isBound = Array(repeating: false, count: n)
        backoff = Array(repeating: ReconnectBackoff(), count: n)
        reconnectTimers = Array(repeating: nil, count: n)
        startNs = MonotonicClock.nanoseconds()
        let ramp = LoopTimer(loop: loop) { [unowned self] in self.rampTimedOut() }
        rampTimer = ramp
        ramp.schedule(after: .milliseconds(Int64(settings.rampTimeoutSeconds * 1000)))
        let progress = LoopTimer(loop: loop) { [unowned self] in self.progress() }
        progressTimer = progress
        progress.schedule(after: .seconds(1))
        rampMore()
        loop.run()
        signals.removeAll()
        return report()
    }

    // MARK: ramp

    private func rampMore() {
        while phase == .ramping && rampInFlight < settings.connectBatch && nextToStart < probes.count {
            let i = nextToStart
            nextToStart += 1
            inRamp[i] = true
            rampInFlight += 1
            begin(probes[i])
        }
    }

    private func begin(_ probe: ProbeSession) {
        busy += 1
        probe.start()
    }

    /// The session stops holding a ramp slot (bound, refused, or failed and waiting to retry).
    private func leaveRamp(_ i: Int) {
        guard inRamp[i] else { return }
        inRamp[i] = false
        rampInFlight -= 1
        rampMore()
    }

    private func settle(_ i: Int) {
        guard !settled[i] else { return }
        settled[i] = true
        settledCount += 1
        if phase == .ramping && settledCount == probes.count { startHolding() }
    }

    private func rampTimedOut() {
        guard phase == .ramping else { return }
        Report.note("smppbench: ramp timeout (\(settings.rampTimeoutSeconds) s): \(bound) of \(probes.count) bound, \(settledCount) settled")
        startHolding()
    }

    private func startHolding() {
        phase = .holding
        rampTimer?.cancel()
        holdStartNs = MonotonicClock.nanoseconds()
        boundAtHoldStart = bound
        Report.note("smppbench: holding \(bound) bound sessions" + (refusedCount > 0 ? " (\(refusedCount) binds refused)" : "")
                    + " after \(Report.fmt(Double(holdStartNs - startNs) / 1e9, 3)) s")
        guard bound > 0 else {
            finish(reason: "no session is bound")
            return
        }
        if let d = settings.duration {
            let t = LoopTimer(loop: loop) { [unowned self] in self.finish(reason: nil) }
            holdTimer = t
            t.schedule(after: .milliseconds(Int64(d * 1000)))
        }
        if settings.enquireLinkSeconds > 0 {
            let t = LoopTimer(loop: loop) { [unowned self] in self.enquireTick() }
            enquireTimer = t
            t.schedule(after: .milliseconds(100))
        }
    }

    /// Every 100 ms, enquire_link on the next slice of sessions: each gets one every
    /// --enquire-link seconds, spread out rather than all at once.
    private func enquireTick() {
        guard phase == .holding else { return }
        enquireTimer?.schedule(after: .milliseconds(100))
        let perTick = max(1, Int((Double(probes.count) * 0.1 / settings.enquireLinkSeconds).rounded(.up)))
        for _ in 0..<min(perTick, probes.count) {
            if probes[enquireCursor].sendEnquireLink() { enquireLinksSent += 1 }
            enquireCursor = enquireCursor + 1 == probes.count ? 0 : enquireCursor + 1
        }
    }

    private func scheduleReconnect(_ probe: ProbeSession) {
        let i = probe.index
        let delay = backoff[i].take()
        reconnects += 1
        probeNote(probe, "reconnecting in \(delay) s (backoff)")
        let t = reconnectTimers[i] ?? LoopTimer(loop: loop) { [unowned self, unowned probe] in
            guard self.phase == .ramping || self.phase == .holding, probe.isIdle else { return }
            self.begin(probe)
        }
        reconnectTimers[i] = t
        t.schedule(after: .seconds(delay))
    }

    // MARK: the end

    private func interrupted() {
        switch phase {
        case .ramping, .holding: finish(reason: "signal")
        case .finishing: unbindTimedOut()  // a second signal: stop waiting for unbind_resp
        case .finished: break
        }
    }

    /// Unbinds every bound session, closes those still connecting; ends when all are idle or
    /// after --drain seconds.
    private func finish(reason: String?) {
        guard phase == .ramping || phase == .holding else { return }
        if phase == .ramping { boundAtHoldStart = bound }
        phase = .finishing
        holdEndNs = MonotonicClock.nanoseconds()
        if holdStartNs == 0 { holdStartNs = holdEndNs }
        boundAtHoldEnd = bound
        if let reason { Report.note("smppbench: finishing: \(reason)") }
        rampTimer?.cancel()
        holdTimer?.cancel()
        enquireTimer?.cancel()
        progressTimer?.cancel()
        for t in reconnectTimers { t?.cancel() }
        let t = LoopTimer(loop: loop) { [unowned self] in self.unbindTimedOut() }
        unbindTimer = t
        t.schedule(after: .milliseconds(Int64(settings.drainSeconds * 1000)))
        for p in probes { p.stop() }
        checkFinished()
    }

    private func unbindTimedOut() {
        guard phase == .finishing else { return }
        Report.note("smppbench: \(busy) sessions did not finish unbinding within \(settings.drainSeconds) s; closing them")
        if busy > 0 { count(error: "unfinished", busy) }
        stopLoop()  // closes them (their reports are ignored from here on)
    }

    private func checkFinished() {
        guard phase == .finishing, busy == 0 else { return }
        stopLoop()
    }

    private func stopLoop() {
        guard phase != .finished else { return }
        phase = .finished
        unbindTimer?.cancel()
        loop.closeAllConnections()
        loop.stop()
    }

    private func count(error name: String, _ n: Int = 1) {
        errors[name, default: 0] += n
    }

    // MARK: ProbeDriver

    func probeHandshakeDone(_ probe: ProbeSession, nanoseconds: UInt64) {
        handshakeLatency.record(nanoseconds / 1000)
    }

    func probeBindAnswered(_ probe: ProbeSession, status: CommandStatus, nanoseconds: UInt64) {
        guard status == .ESME_ROK else { return }  // counted when the attempt ends
        bindLatency.record(nanoseconds / 1000)
        isBound[probe.index] = true
        bound += 1
        backoff[probe.index].reset()
        leaveRamp(probe.index)
        settle(probe.index)
    }

    func probeEnded(_ probe: ProbeSession, _ end: ProbeEnd) {
        busy -= 1
        let i = probe.index
        let wasBound = isBound[i]
        if wasBound {
            isBound[i] = false
            bound -= 1
        }
        if phase == .finished { return }
        switch end {
        case .completed:
            if wasBound { unbound += 1 }
        case let .bindRefused(status):
            count(error: "bind:\(status.name)")
            probeNote(probe, "bind refused: \(status.name); not retrying")
            refused[i] = true
            refusedCount += 1
            leaveRamp(i)
            settle(i)
        case let .failed(name):
            count(error: name)
            leaveRamp(i)
            if phase == .ramping || phase == .holding { scheduleReconnect(probe) }
        case let .dropped(reason):
            drops += 1
            probeNote(probe, "bound session lost: \(reason)")
            if phase == .ramping || phase == .holding { scheduleReconnect(probe) }
        case .aborted:
            leaveRamp(i)
        }
        checkFinished()
    }

    func probeError(_ probe: ProbeSession, _ name: String) {
        count(error: name)
    }

    func probeEvent(_ probe: ProbeSession, _ event: ProbeEvent) {
        switch event {
        case .enquireLinkAnswered: enquireLinksAnswered += 1
        case .enquireLinkRespReceived: enquireLinkResps += 1
        case .deliverSMAnswered: deliverSMAnswered += 1
        }
    }

    func probeNote(_ probe: ProbeSession, _ text: String) {
        guard notesLeft > 0 else { return }
        notesLeft -= 1
        Report.note("session \(probe.index): \(text)" + (notesLeft == 0 ? " (further session notes suppressed)" : ""))
    }

    // MARK: progress and report

    private func progress() {
        let now = MonotonicClock.nanoseconds()
        // Every second while ramping, every 10 s while holding.
        progressTimer?.schedule(after: .seconds(phase == .ramping ? 1 : 10))
        var line = "[\(Report.fmt(Double(now &- startNs) / 1e9, 0))s] \(phase == .ramping ? "ramp" : "hold"): bound \(bound)/\(probes.count)"
        if phase == .ramping { line += " connecting \(rampInFlight)" }
        line += " | errors \(errors.values.reduce(0, +))"
        if reconnects > 0 { line += " reconnects \(reconnects)" }
        if enquireLinksAnswered + enquireLinksSent > 0 { line += " | enquire_link answered \(enquireLinksAnswered) sent \(enquireLinksSent)" }
        Report.note(line)
    }

    private func report() -> Bool {
        let n = probes.count
        let rampSeconds = holdStartNs > startNs ? Double(holdStartNs - startNs) / 1e9 : 0
        let holdSeconds = holdEndNs > holdStartNs ? Double(holdEndNs - holdStartNs) / 1e9 : 0
        let bindRate = rampSeconds > 0 ? Double(boundAtHoldStart) / rampSeconds : 0
        let errorTotal = errors.values.reduce(0, +)
        let cpuSeconds = Report.processCPUSeconds()
        var ok = errorTotal == 0 && boundAtHoldStart == n && boundAtHoldEnd == n && unbound == boundAtHoldEnd
        let b = bindLatency

        var out = "smppbench report (idle)\n"
        out += "  target         \(settings.endpoint) \(settings.tlsLabel), \(n) x \(settings.bindName), connect batch \(settings.connectBatch)\n"
        out += "  ramp           \(boundAtHoldStart) bound in \(Report.fmt(rampSeconds, 3)) s = \(Int(bindRate.rounded())) binds/s\n"
        out += "  bind->resp     \(Report.percentilesText(b))\n"
        out += "  connect->tls   \(Report.percentilesText(handshakeLatency))\n"
        out += "  hold           \(Report.fmt(holdSeconds, 3)) s, bound at the end \(boundAtHoldEnd), lost \(drops); enquire_link answered \(enquireLinksAnswered), sent \(enquireLinksSent) (\(enquireLinkResps) answered); deliver_sm answered \(deliverSMAnswered)\n"
        out += "  unbind         \(unbound) answered\n"
        var j = "\"bound_sessions\":\(boundAtHoldEnd),\"bound_at_hold_start\":\(boundAtHoldStart),\"unbound\":\(unbound),"
        j += "\"binds_refused\":\(refusedCount),\"lost\":\(drops),"
        j += "\"ramp_s\":\(Report.fmt(rampSeconds, 3)),\"binds_per_s\":\(Report.fmt(bindRate, 1)),\"hold_s\":\(Report.fmt(holdSeconds, 3)),"
        j += Report.percentilesJSON(b) + "," + Report.percentilesJSON(handshakeLatency, prefix: "handshake_") + ","
        j += "\"enquire_link_answered\":\(enquireLinksAnswered),\"enquire_link_sent\":\(enquireLinksSent),\"enquire_link_resp\":\(enquireLinkResps),"
        j += "\"deliver_sm_answered\":\(deliverSMAnswered),"
        j += "\"sessions\":\(n),\"connect_batch\":\(settings.connectBatch),\"reconnects\":\(reconnects),\"client_cpu_s\":\(Report.fmt(cpuSeconds, 3)),"
        let sessions = "\(n), reconnects \(reconnects), client CPU \(Report.fmt(cpuSeconds, 2)) s"
        if !Report.finish(mode: "idle", text: out, sessions: sessions, json: j, errors: errors, settings: settings, histogram: b) {
            ok = false
        }
        return ok
    }
}
