// The worker pool end to end on real threads: every submission taken and finished exactly
// once, a full queue hands the item back, background MO arrives, stop() joins (C-SIM-1, C-SIM-3).
#if canImport(Glibc)
import Glibc
#endif
import Testing
import SMPP
import Synchronization
@testable import Carrier

/// Waits (bounded) until `condition` holds, polling the pool's events.
func drain(_ pool: CarrierPool, until deadlineMs: Int64, _ body: (CarrierEvent) -> Void, done: () -> Bool) {
    while !done() && realtimeMillis() < deadlineMs {
        if pool.drainEvents(body) == 0 { usleep(1_000) }
    }
}

@Suite struct CarrierPoolTests {
    func fastSettings(capacity: Int = 1024) -> CarrierSettings {
        var s = CarrierSettings()
        s.latencyMinMs = 0; s.latencyMedianMs = 0; s.latencyMaxMs = 0
        s.queueCapacity = capacity
        return s
    }

    @Test func workersRunTenNiceLevelsBelowTheDaemonByDefault() {
        var s = CarrierSettings()
        #expect(s.effectiveWorkerNice(daemonNice: 0) == 10)
        #expect(s.effectiveWorkerNice(daemonNice: -5) == 5)
        #expect(s.effectiveWorkerNice(daemonNice: 15) == 19, "capped at the lowest priority")
        s.workerNice = 3
        #expect(s.effectiveWorkerNice(daemonNice: 15) == 3, "a configured value is taken as it is")
    }

    /// Threads of this process at nice `value`, from /proc/self/task/*/stat (field 19).
    func threadsAtNice(_ value: Int32) -> Int {
        guard let dir = opendir("/proc/self/task") else { return -1 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.first?.isNumber == true, let f = fopen("/proc/self/task/\(name)/stat", "r") else { continue }
            var line = [CChar](repeating: 0, count: 1024)
            _ = fgets(&line, Int32(line.count), f)
            fclose(f)
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // After the ")" closing the thread name: state is field 3, nice field 19.
            guard let close = text.lastIndex(of: ")") else { continue }
            let fields = text[text.index(after: close)...].split(separator: " ")
            if fields.count > 16, Int32(fields[16]) == value { count += 1 }
        }
        return count
    }

    @Test func startReportsTheNiceValueEveryWorkerTook() {
        // Raising a nice value needs no privilege. Own + 5: no other thread of the test runner
        // has it (the other tests' pools run at own + 10), unless the cap at 19 merges them.
        let own = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let value = min(own + 5, 19)
        var settings = fastSettings()
        settings.workers = 3
        settings.workerNice = value
        let before = threadsAtNice(value)
        let pool = CarrierPool(settings: settings) {}
        let report = pool.start()
        defer { pool.stop() }
        #expect(report == CarrierPool.StartReport(requestedNice: value, niceRefusedErrno: nil, workersStarted: 3, threadError: nil))
        // start() returns after every worker has set its value.
        if own <= 13 { #expect(threadsAtNice(value) == before + 3) }
    }

    @Test func everySubmissionIsTakenAndFinishedExactlyOnce() {
        let rings = Atomic<Int>(0)
        let pool = CarrierPool(settings: fastSettings(capacity: 4)) { rings.add(1, ordering: .relaxed) }
        pool.start()
        defer { pool.stop() }
        let total = 20_000
        var finished = [UInt8](repeating: 0, count: total)
        var sent = 0, seen = 0, refusals = 0
        let deadline = realtimeMillis() + 60_000
        let now = realtimeMillis()
        while (sent < total || seen < total) && realtimeMillis() < deadline {
            if sent < total {
                // Ids from 1: the loop's ids are never 0, and hasTaken counts from "none yet" = 0.
                #expect(!pool.hasTaken(messageID: UInt64(sent + 1)), "not taken before it is submitted")
                let s = CarrierSubmission(messageID: UInt64(sent + 1), accountIndex: 0, source: 1, destination: 447_700_900_000,
                                          submitTimeMs: now, validityDeadlineMs: 0)
                if pool.trySubmit(s) { sent += 1 } else { refusals += 1 }
            }
            // As the event loop does once per iteration. Without it the workers would only
            // notice new work on their 1 s idle timeout, and 20,000 items through a queue of 4
            // would miss the deadline.
            pool.wakeWorkersIfNeeded()
            seen += pool.drainEvents { e in
                switch e {
                case .outcome(let id, let state, _, _):
                    #expect(state == .delivered)
                    // An outcome follows the take, so the take is published by now.
                    #expect(pool.hasTaken(messageID: id))
                    finished[Int(id) - 1] += 1
                case .mo: Issue.record("no MO expected")
                }
            }
        }
        #expect(sent == total)
        #expect(pool.hasTaken(messageID: UInt64(total)), "every submission taken")
        #expect(!pool.hasTaken(messageID: UInt64(total + 1)))
        #expect(finished.allSatisfy { $0 == 1 }, "each finished exactly once")
        #expect(refusals > 0, "a queue of 4 must fill up and hand items back")
        #expect(rings.load(ordering: .relaxed) > 0)
    }

    @Test func backgroundMOArrivesAtAboutTheConfiguredRate_C_SIM_3() {
        let pool = CarrierPool(settings: fastSettings()) {}
        pool.start()
        defer { pool.stop() }
        pool.setBackgroundMO(rates: [(accountIndex: 3, perSecond: 50, accountNumber: 12_125_550_100)])
        var mos: [CarrierMO] = []
        let start = realtimeMillis()
        drain(pool, until: start + 10_000, { if case .mo(let m) = $0 { mos.append(m) } }, done: { mos.count >= 25 })
        #expect(mos.count >= 25)
        #expect(realtimeMillis() - start >= 300, "50/s cannot deliver 25 in under half a second")
        #expect(mos.allSatisfy { $0.accountIndex == 3 && $0.destination == 12_125_550_100 && !$0.text.isEmpty })
    }

    /// Idle workers stop napping and sleep until woken (an idle daemon does not tick); a
    /// single submission then still reaches the carrier at once, below the nappers' backlog.
    @Test func idleWorkersSleepDeeplyAndOneSubmissionWakesThem() {
        let pool = CarrierPool(settings: fastSettings()) {}
        pool.start()
        defer { pool.stop() }
        var id: UInt64 = 0
        for round in 0..<3 {
            let deadline = realtimeMillis() + 10_000
            while pool.deeplySleepingWorkers < pool.model.settings.workers && realtimeMillis() < deadline { usleep(1_000) }
            #expect(pool.deeplySleepingWorkers == pool.model.settings.workers, "round \(round): workers asleep")
            id += 1
            #expect(pool.trySubmit(CarrierSubmission(messageID: id, accountIndex: 0, source: 1, destination: 447_700_900_000,
                                                     submitTimeMs: realtimeMillis(), validityDeadlineMs: 0)))
            pool.wakeWorkersIfNeeded()   // as the loop does before it sleeps
            var outcome = false
            // A deep sleep lasts up to longestSleepMs (5 s): an outcome well before that means
            // the wake worked (the bound is generous for a loaded machine, not a speed check).
            drain(pool, until: realtimeMillis() + CarrierPool.longestSleepMs / 2, { if case .outcome(let got, _, _, _) = $0, got == id { outcome = true } },
                  done: { outcome })
            #expect(outcome, "round \(round): woken for one submission")
        }
    }

    @Test func stopJoinsWithWorkPending() {
        var s = fastSettings()
        s.latencyMinMs = 60_000; s.latencyMedianMs = 60_000; s.latencyMaxMs = 60_000
        let pool = CarrierPool(settings: s) {}
        pool.start()
        for i in 0..<100 {
            _ = pool.trySubmit(CarrierSubmission(messageID: UInt64(i), accountIndex: 0, source: 1, destination: 2,
                                                 submitTimeMs: realtimeMillis(), validityDeadlineMs: 0))
        }
        let before = realtimeMillis()
        pool.stop()
        #expect(realtimeMillis() - before < 5_000)
    }
}
