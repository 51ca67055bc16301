// CycleBench: --measure handshakes and --measure binds. --connections N slots each run one
// connection cycle after another (connect + TLS handshake + close, or connect + TLS + bind +
// unbind) until --count cycles have started or --duration has passed, then wait (at most --drain
// seconds) for the cycles in progress. A transport failure makes that slot wait 1, 2, 4 ... 60 s
// before its next cycle (C-OPS-3 backoff, counted as a reconnect); a refused bind does not.
// Counters, HdrHistograms, the progress line (stderr) and the report. Loop thread only.

#if canImport(Glibc)
import Glibc
#endif
import Histogram
import Reactor
import SMPP

final class CycleBench: ProbeDriver {
    enum Kind { case handshakes, binds }

    let kind: Kind
    let settings: BenchSettings
    let loop: EventLoop
    private let setup: ProbeSetup
    private var probes: [ProbeSession] = []
    private var backoff: [ReconnectBackoff] = []
    private var backoffTimers: [LoopTimer?] = []
    private var signals: [SignalWatcher] = []

    // Bounds.
    private let limit: Int                    // Int.max when only --duration bounds the run
    private var started = 0
    private var isStopped = false             // no new cycles
    private var isFinished = false

    // Counters.
    private var reconnects = 0
    private var handshakes = 0
    private var bindsOK = 0
    private var completed = 0
    private var unfinished = 0
    private var errors: [String: Int] = [:]
    private var serverEvents = 0              // enquire_link / deliver_sm answered (binds mode)
    private var notesLeft = 20

    // Timing.
    private var startNs: UInt64 = 0
    private var lastEndNs: UInt64 = 0
    private var handshakeLatency = Report.latencyHistogram()
    private var bindLatency = Report.latencyHistogram()
    private var intervalLatency = Report.latencyHistogram()
    private var lastProgress: (ns: UInt64, count: Int) = (0, 0)
    private var progressTimer: LoopTimer?
    private var durationTimer: LoopTimer?
    private var drainTimer: LoopTimer?

    init(kind: Kind, settings: BenchSettings, tls: TLSClientContext?) throws {
        self.kind = kind
        self.settings = settings
        loop = try EventLoop()
        setup = ProbeSetup(loop: loop, settings: settings, tls: tls, plan: kind == .handshakes ? .handshake : .bindUnbind)
        limit = settings.count ?? Int.max
    }

    private var label: String { kind == .handshakes ? "handshakes" : "binds" }
    private var measuredCount: Int { kind == .handshakes ? handshakes : bindsOK }

    /// Runs to the end; true when every cycle completed without an error.
    func run() -> Bool {
        _ = Sys.raiseFileLimit()
        Report.note("smppbench: measure \(label): \(settings.connections) concurrent to \(settings.endpoint) (\(settings.tlsLabel))"
                    + (kind == .binds ? ", bind \(settings.bindName)" : "") + ", "
                    + (settings.count.map { "count \($0)" } ?? "duration \(settings.duration!) s"))
        for sig in [SIGINT, SIGTERM] {
            signals.append(SignalWatcher(loop: loop, signal: sig) { [unowned self] in self.interrupted() })
        }
        startNs = MonotonicClock.nanoseconds()
        lastProgress = (startNs, 0)
        if let d = settings.duration {
            let t = LoopTimer(loop: loop) { [unowned self] in self.stopStarting() }
            durationTimer = t
            t.schedule(after: .milliseconds(Int64(d * 1000)))
        }
        let slots = min(settings.connections, limit)
        for i in 0..<slots {
            probes.append(ProbeSession(driver: self, setup: setup, index: i))
            backoff.append(ReconnectBackoff())
            backoffTimers.append(nil)
        }
        for p in probes { startCycle(p) }
        let progress = LoopTimer(loop: loop) { [unowned self] in self.progress() }
        progressTimer = progress
        progress.schedule(after: .seconds(1))
        loop.run()
        signals.removeAll()
        return report()
    }

    // MARK: cycles

    private func startCycle(_ probe: ProbeSession) {
        guard !isStopped else { return }
        started += 1
        probe.start()
        if started == limit { stopStarting() }
    }

    private func next(_ probe: ProbeSession, afterFailure: Bool) {
        let i = probe.index
        guard afterFailure, !isStopped else {
            if !afterFailure { backoff[i].reset() }
            startCycle(probe)
            checkDone()
            return
        }
        let delay = backoff[i].take()
        reconnects += 1
        let t = backoffTimers[i] ?? LoopTimer(loop: loop) { [unowned self, unowned probe] in self.startCycle(probe) }
        backoffTimers[i] = t
        t.schedule(after: .seconds(delay))
    }

    /// The count is reached, the duration is over or a signal came: no new cycles, pending
    /// backoff waits are dropped, and those in progress get --drain seconds to end.
    private func stopStarting() {
        guard !isStopped else { return }
        isStopped = true
        for t in backoffTimers { t?.cancel() }
        let t = LoopTimer(loop: loop) { [unowned self] in self.drainTimedOut() }
        drainTimer = t
        t.schedule(after: .milliseconds(Int64(settings.drainSeconds * 1000)))
        checkDone()
    }

    private func interrupted() {
        if isStopped {
            drainTimedOut()  // a second signal (or one while draining): stop waiting
        } else {
            Report.note("smppbench: signal: no new cycles; waiting for those in progress")
            stopStarting()
        }
    }

    private func drainTimedOut() {
        let busy = probes.filter { !$0.isIdle }
        Report.note("smppbench: finishing: \(busy.count) cycles still in progress after the drain time; closing them")
        unfinished += busy.count
        if !busy.isEmpty { count(error: "unfinished", busy.count) }
        finish()
    }

    private func checkDone() {
        guard !isFinished, isStopped, probes.allSatisfy({ $0.isIdle }) else { return }
        finish()
    }

    private func finish() {
        guard !isFinished else { return }
        isFinished = true
        progressTimer?.cancel()
        durationTimer?.cancel()
        drainTimer?.cancel()
        for t in backoffTimers { t?.cancel() }
        loop.closeAllConnections()
        loop.stop()
    }

    private func count(error name: String, _ n: Int = 1) {
        errors[name, default: 0] += n
    }

    // MARK: ProbeDriver

    func probeHandshakeDone(_ probe: ProbeSession, nanoseconds: UInt64) {
        handshakes += 1
        let us = nanoseconds / 1000
        handshakeLatency.record(us)
        if kind == .handshakes { intervalLatency.record(us) }
    }

    func probeBindAnswered(_ probe: ProbeSession, status: CommandStatus, nanoseconds: UInt64) {
        guard status == .ESME_ROK else { return }  // counted by name when the attempt ends
        bindsOK += 1
        let us = nanoseconds / 1000
        bindLatency.record(us)
        intervalLatency.record(us)
    }

    func probeEnded(_ probe: ProbeSession, _ end: ProbeEnd) {
        lastEndNs = MonotonicClock.nanoseconds()
        guard !isFinished else { return }
        switch end {
        case .completed:
            completed += 1
            next(probe, afterFailure: false)
        case let .bindRefused(status):
            count(error: "bind:\(status.name)")
            next(probe, afterFailure: false)
        case let .failed(name):
            count(error: name)
            next(probe, afterFailure: true)
        case let .dropped(reason):
            probeNote(probe, "connection lost: \(reason)")
            count(error: "connection_lost")
            next(probe, afterFailure: true)
        case .aborted:
            checkDone()
        }
    }

    func probeError(_ probe: ProbeSession, _ name: String) {
        count(error: name)
    }

    func probeEvent(_ probe: ProbeSession, _ event: ProbeEvent) {
        serverEvents += 1
    }

    func probeNote(_ probe: ProbeSession, _ text: String) {
        guard notesLeft > 0 else { return }
        notesLeft -= 1
        Report.note("session \(probe.index): \(text)" + (notesLeft == 0 ? " (further session notes suppressed)" : ""))
    }

    // MARK: progress and report

    private func progress() {
        progressTimer?.schedule(after: .seconds(1))
        let now = MonotonicClock.nanoseconds()
        let seconds = max(Double(now &- lastProgress.ns) / 1e9, 1e-9)
        let rate = Double(measuredCount - lastProgress.count) / seconds
        let h = intervalLatency
        var line = "[\(Report.fmt(Double(now &- startNs) / 1e9, 0))s] \(label)/s \(Int(rate)) p50 \(Report.ms(h.valueAtPercentile(50))) p99 \(Report.ms(h.valueAtPercentile(99)))"
        line += " | started \(started) completed \(completed) in progress \(probes.filter { !$0.isIdle }.count) errors \(errors.values.reduce(0, +))"
        if reconnects > 0 { line += " reconnects \(reconnects)" }
        Report.note(line)
        intervalLatency.reset()
        lastProgress = (now, measuredCount)
    }

    private func report() -> Bool {
        let seconds = lastEndNs > startNs ? Double(lastEndNs - startNs) / 1e9 : 0
        let handshakeRate = seconds > 0 ? Double(handshakes) / seconds : 0
        let bindRate = seconds > 0 ? Double(bindsOK) / seconds : 0
        let errorTotal = errors.values.reduce(0, +)
        let cpuSeconds = Report.processCPUSeconds()
        var ok = errorTotal == 0 && completed == started && completed > 0
        let hs = handshakeLatency
        let b = bindLatency

        var out = "smppbench report (\(label))\n"
        out += "  target         \(settings.endpoint) \(settings.tlsLabel), \(settings.connections) concurrent"
        out += kind == .binds ? ", bind \(settings.bindName)\n" : "\n"
        out += "  cycles         started \(started), completed \(completed) in \(Report.fmt(seconds, 3)) s\n"
        out += "  handshakes     \(handshakes) = \(Int(handshakeRate.rounded())) /s\n"
        out += "  connect->tls   \(Report.percentilesText(hs))\n"
        if kind == .binds {
            out += "  binds          \(bindsOK) ESME_ROK = \(Int(bindRate.rounded())) /s\n"
            out += "  bind->resp     \(Report.percentilesText(b))\n"
        }
        let measured = kind == .handshakes ? hs : b
        var j = ""
        switch kind {
        case .handshakes:
            j += "\"handshakes_per_s\":\(Report.fmt(handshakeRate, 1)),"
        case .binds:
            j += "\"binds_per_s\":\(Report.fmt(bindRate, 1)),\"binds_ok\":\(bindsOK),"
            j += "\"handshakes_per_s\":\(Report.fmt(handshakeRate, 1)),"
            j += Report.percentilesJSON(hs, prefix: "handshake_") + ","
        }
        j += Report.percentilesJSON(measured) + ","
        j += "\"handshakes\":\(handshakes),\"started\":\(started),\"completed\":\(completed),\"unfinished\":\(unfinished),"
        j += "\"sessions\":\(settings.connections),\"seconds\":\(Report.fmt(seconds, 3)),\"reconnects\":\(reconnects),\"client_cpu_s\":\(Report.fmt(cpuSeconds, 3)),"
        let sessions = "\(settings.connections), reconnects \(reconnects), client CPU \(Report.fmt(cpuSeconds, 2)) s"
        if !Report.finish(mode: label, text: out, sessions: sessions, json: j, errors: errors, settings: settings, histogram: measured) {
            ok = false
        }
        return ok
    }
}
