// The carrier's worker threads (C-SIM-1..3). The loop thread is the only producer of
// submissions; workers pop them, plan their events, hold them in a per-worker DueQueue by due
// time and, when due, push them to the event queue and ring the doorbell. The loop drains every
// event on each doorbell (ev_async coalesces). Nothing is dropped: a full event queue makes the
// worker ring and retry; a full submission queue is the caller's ESME_RMSGQFUL.
// Unsafe code (allowlisted, STYLE 9.3). Invariants: a start box is retained once for
// pthread_create and taken back exactly once by its worker, and holds the pool, so deinit
// cannot run while a worker lives; the pool is @unchecked Sendable because threads share only
// its queues, atomics and semaphores (Queues.Semaphore); `prefixed` reads a StaticString's
// bytes, which live for the whole program.
//
// Waking workers: a sem_post per submission made the kernel's futex wake half of the server's
// CPU time under load (perf/RESULTS.md, "Profiles"). trySubmit only notes that work arrived;
// the loop calls wakeWorkersIfNeeded() once per iteration, which posts only when a worker is
// asleep (the `sleepers` count, Dekker-style: each side publishes, fences, then reads the
// other's flag, so a worker never sleeps on work it could not see), or when a busy worker is
// napping (≤ 1 ms, `nappers`) and 64 submissions wait (napsBeforeDeepSleep says why).
// Forwarding is not reported per message: workers publish how far they have taken the queue
// (hasTaken(messageID:)).
// Threads: trySubmit/wakeWorkersIfNeeded/drainEvents/setBackgroundMO/stop on the loop thread;
// the rest on workers.
#if canImport(Glibc)
import Glibc
#endif
import Queues
import SMPP
import Synchronization

/// One accepted message as the carrier sees it: a few words, no heap.
public struct CarrierSubmission: Sendable {
    public var messageID: UInt64
    /// The loop's index for the account (echoed back on MO replies).
    public var accountIndex: UInt32
    /// E.164 digits as integers (no '+').
    public var source: UInt64
    public var destination: UInt64
    public var submitTimeMs: Int64
    /// 0 = no validity deadline.
    public var validityDeadlineMs: Int64
    /// The first 20 characters of the text (ASCII), for the auto-reply "Re: …" (C-SIM-3).
    public var excerpt: CarrierExcerpt

    public init(messageID: UInt64, accountIndex: UInt32, source: UInt64, destination: UInt64,
                submitTimeMs: Int64, validityDeadlineMs: Int64, excerpt: CarrierExcerpt = CarrierExcerpt()) {
        self.messageID = messageID
        self.accountIndex = accountIndex
        self.source = source
        self.destination = destination
        self.submitTimeMs = submitTimeMs
        self.validityDeadlineMs = validityDeadlineMs
        self.excerpt = excerpt
    }
}

/// Up to 20 bytes held inline (no heap), so a submission stays a plain value in the queue.
public struct CarrierExcerpt: Sendable {
    public static let capacity = 20
    private var storage: (UInt64, UInt64, UInt32) = (0, 0, 0)
    public private(set) var count = 0

    public init() {}

    /// From inline words laid out as `storage` is (byte i at bits 8*(i%8) of word i/8), e.g.
    /// the store's ShortBytes: three word copies instead of a byte loop.
    public init(packed words: (UInt64, UInt64, UInt32), count: Int) {
        storage = words
        self.count = min(max(count, 0), Self.capacity)
    }

    /// The bytes (allocates: used only when an MO is built).
    public var bytes: [UInt8] {
        withUnsafeBytes(of: storage) { Array($0.prefix(count)) }
    }

    /// `prefix` followed by the bytes, in one allocation (the auto-reply's "Re: …" text:
    /// building it by concatenation cost three).
    public func prefixed(by prefix: StaticString) -> [UInt8] {
        let head = UnsafeRawBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        return withUnsafeBytes(of: storage) { tail in
            [UInt8](unsafeUninitializedCapacity: head.count + count) { out, initialized in
                _ = out.initialize(fromContentsOf: head)
                _ = out[head.count...].initialize(fromContentsOf: tail.prefix(count))
                initialized = head.count + count
            }
        }
    }
}

/// A mobile-originated message from the carrier (auto-reply or background traffic).
public struct CarrierMO: Sendable {
    public var accountIndex: UInt32
    public var source: UInt64
    public var destination: UInt64
    public var text: [UInt8]
    public var dataCoding: UInt8
}

/// What the carrier reports back to the loop. (That a message was forwarded is not an event:
/// see `hasTaken(messageID:)`.)
public enum CarrierEvent: Sendable {
    /// A state reached; ACCEPTED is not final (…9995 reports ACCEPTED, then UNKNOWN).
    case outcome(messageID: UInt64, state: MessageState, errorCode: UInt16, atMs: Int64)
    case mo(CarrierMO)
}

/// CLOCK_REALTIME in milliseconds: the store keeps Unix times.
public func realtimeMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

public final class CarrierPool: @unchecked Sendable {
    // @unchecked: the queues and `wakeup` are Sendable; `moRates` is Mutex-protected;
    // `threads` and `hasUnannouncedWork` are touched only on the loop thread.
    public let model: CarrierModel
    private let submissions: BoundedQueue<CarrierSubmission>
    private let events: BoundedQueue<CarrierEvent>
    private let wakeup = Semaphore()
    private let isStopping = Atomic<Bool>(false)
    /// Workers inside (or about to enter) a sleep the loop must end when work arrives.
    private let sleepers = Atomic<Int>(0)
    /// Busy workers napping (≤ 1 ms): woken only once a backlog builds up.
    private let nappers = Atomic<Int>(0)
    /// The largest message id a worker has taken from the submission queue (0: none yet).
    private let takenThrough = Atomic<UInt64>(0)
    /// Loop thread: submissions pushed since the last wakeWorkersIfNeeded().
    private var hasUnannouncedWork = false
    private let clock: @Sendable () -> Int64
    private let doorbell: @Sendable () -> Void
    private let moRates = Mutex<[(accountIndex: UInt32, perSecond: Double, accountNumber: UInt64)]>([])
    private var threads: [pthread_t] = []

    public init(settings: CarrierSettings, clock: @escaping @Sendable () -> Int64 = realtimeMillis,
                doorbell: @escaping @Sendable () -> Void) {
        model = CarrierModel(settings: settings)
        submissions = BoundedQueue(capacity: settings.queueCapacity)
        events = BoundedQueue(capacity: settings.queueCapacity)
        self.clock = clock
        self.doorbell = doorbell
    }

    /// What start() did: the threads it started and the nice value they took.
    public struct StartReport: Sendable, Equatable {
        /// The nice value the workers asked for (CarrierSettings.effectiveWorkerNice).
        public var requestedNice: Int32
        /// errno of a worker whose setpriority failed, or nil when all got `requestedNice`.
        /// Lowering a nice value needs CAP_SYS_NICE or a high enough RLIMIT_NICE (else EACCES);
        /// such a worker keeps the daemon's.
        public var niceRefusedErrno: Int32?
        /// Workers running, and pthread_create's error for those that are not (nil: all are).
        public var workersStarted: Int
        public var threadError: Int32?

        public init(requestedNice: Int32, niceRefusedErrno: Int32?, workersStarted: Int, threadError: Int32?) {
            self.requestedNice = requestedNice
            self.niceRefusedErrno = niceRefusedErrno
            self.workersStarted = workersStarted
            self.threadError = threadError
        }
    }

    /// Starts `settings.workers` threads. Worker 0 also makes the background MO traffic.
    /// Returns once every worker started has set its nice value, and reports how that went.
    @discardableResult
    public func start() -> StartReport {
        // Linux applies PRIO_PROCESS with who = 0 to the calling thread only: this is the
        // daemon's (the loop thread's) value, which new threads inherit.
        Glibc.errno = 0
        let own = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let nice = model.settings.effectiveWorkerNice(daemonNice: Glibc.errno == 0 ? own : 0)
        let count = max(model.settings.workers, 1)
        let started = Semaphore()
        let refused = Atomic<Int32>(0)
        var running = 0
        var threadError: Int32? = nil
        for _ in 0..<count {
            // Called once by the worker, with setpriority's errno (0: done).
            let report: (Int32) -> Void = { code in
                if code != 0 { refused.store(code, ordering: .relaxed) }
                started.post()
            }
            // `running` as the index: should a thread fail to start, worker 0 (which also makes
            // the background MO traffic) still exists.
            let box = Unmanaged.passRetained(WorkerStart(pool: self, index: running, nice: nice, reportNice: report))
            var tid = pthread_t()
            let error = pthread_create(&tid, nil, { raw in
                let start = Unmanaged<WorkerStart>.fromOpaque(raw!).takeRetainedValue()
                let failed = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, start.nice) != 0
                start.reportNice(failed ? Glibc.errno : 0)
                start.pool.runWorker(index: start.index)
                return nil
            }, box.toOpaque())
            guard error == 0 else {
                box.release()   // no thread took it
                threadError = error
                continue
            }
            threads.append(tid)
            running += 1
        }
        // Threads start within microseconds.
        for _ in 0..<running { started.wait() }
        let code = refused.load(ordering: .relaxed)
        return StartReport(requestedNice: nice, niceRefusedErrno: code == 0 ? nil : code,
                           workersStarted: running, threadError: threadError)
    }

    private final class WorkerStart {
        let pool: CarrierPool
        let index: Int
        let nice: Int32
        let reportNice: (Int32) -> Void
        init(pool: CarrierPool, index: Int, nice: Int32, reportNice: @escaping (Int32) -> Void) {
            self.pool = pool; self.index = index; self.nice = nice; self.reportNice = reportNice
        }
    }

    /// Loop thread. False when the queue is full: nothing was taken (answer ESME_RMSGQFUL).
    /// The workers learn of it at the next wakeWorkersIfNeeded().
    public func trySubmit(_ s: CarrierSubmission) -> Bool {
        guard submissions.tryPush(s) == nil else { return false }
        hasUnannouncedWork = true
        return true
    }

    /// Loop thread, once per loop iteration (before it sleeps): wakes one sleeping worker if
    /// submissions arrived since the last call, or a napping one if `napperWakeBacklog` wait.
    /// One futex wake per iteration at most, instead of one per submission.
    public func wakeWorkersIfNeeded() {
        guard hasUnannouncedWork else { return }
        // Pairs with the worker's sleepers.add + queue check: our push is visible to a worker
        // that counted itself a sleeper after this fence, or we see its count and post.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .relaxed) > 0 {
            hasUnannouncedWork = false
            wakeup.post()
        } else if nappers.load(ordering: .relaxed) > 0 && submissions.count >= Self.napperWakeBacklog {
            hasUnannouncedWork = false
            wakeup.post()
        } else if nappers.load(ordering: .relaxed) == 0 {
            hasUnannouncedWork = false   // every worker is running: it will see the queue
        }
        // Otherwise a napper will look within a millisecond; ask again next iteration.
    }

    /// Loop thread, from the doorbell: hands waiting events to `body`, at most `limit`.
    @discardableResult
    public func drainEvents(limit: Int = .max, _ body: (CarrierEvent) -> Void) -> Int {
        var n = 0
        while n < limit, let e = events.tryPop() {
            body(e)
            n += 1
        }
        return n
    }

    /// Background MO per account (C-SIM-3); replaces the previous set.
    public func setBackgroundMO(rates: [(accountIndex: UInt32, perSecond: Double, accountNumber: UInt64)]) {
        moRates.withLock { $0 = rates.filter { $0.perSecond > 0 } }
        wakeup.post()
    }

    /// Loop thread: ends the workers (pending events are dropped: the loop is stopping).
    public func stop() {
        guard !isStopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for _ in threads { wakeup.post() }
        for t in threads { pthread_join(t, nil) }
        threads.removeAll()
    }

    /// Whether a worker has taken the message from the submission queue: for a message without
    /// a hold, the moment it is forwarded and cancel_sm stops working (C-MGT-2).
    ///
    /// Why not an event per message: reporting each take would cost the loop a queue pop, an
    /// id lookup and a record write per message, for a flag that
    /// only cancel_sm reads. Instead each worker publishes the largest id it has taken. The loop
    /// issues ids in increasing order and pushes them in that order, and the queue is FIFO, so
    /// every id up to that one has been taken too. A message taken but not yet published counts
    /// as not taken, and a cancel that wins that race finds its outcome refused later, exactly as
    /// a cancel just before the take would.
    public func hasTaken(messageID: UInt64) -> Bool {
        messageID <= takenThrough.load(ordering: .acquiring)
    }

    /// Workers asleep until woken (not napping): for tests and metrics.
    public var deeplySleepingWorkers: Int { sleepers.load(ordering: .relaxed) }

    public var submissionQueueDepth: Int { submissions.count }
    public var eventQueueDepth: Int { events.count }
    public var submissionCapacity: Int { submissions.capacity }

    // MARK: Workers

    private func runWorker(index: Int) {
        var random = SplitMix64(seed: model.settings.seed &+ UInt64(index) &* 0x9E37_79B9)
        var planned = DueQueue(nowMs: clock())
        var replies = ReplySlab()
        var nextMO: [UInt32: Int64] = [:]
        var subscriber: UInt64 = 0
        var idleNaps = Self.napsBeforeDeepSleep   // start asleep: nothing has arrived yet
        while !isStopping.load(ordering: .acquiring) {
            // Take what is waiting (bounded batch so due events are not starved).
            var taken = 0
            var emitted = 0
            var lastTaken: UInt64 = 0
            while taken < 4096, let s = submissions.tryPop() {
                // A message's draws depend only on the seed and its id, not on which worker
                // took it or what came before: a message handed back after a restart meets
                // the same fate (C-DATA-1).
                var draws = SplitMix64(seed: model.settings.seed ^ (s.messageID &* 0x9E37_79B9_7F4A_7C15))
                model.plan(s, random: &draws) { e in
                    // The store tells "forwarded" itself: by the hold deadline in the record, or,
                    // without a hold, by hasTaken(messageID:).
                    if case .forwarded = e.kind { return }
                    let replySlot = e.kind == .autoReply ? replies.put(s) : 0
                    planned.push(DueQueue.Event(atMs: e.atMs, messageID: s.messageID, kind: e.kind, replySlot: replySlot))
                }
                lastTaken = s.messageID
                taken += 1
            }
            if taken > 0 { _ = takenThrough.max(lastTaken, ordering: .releasing) }
            var now = clock()
            while let next = planned.popDue(nowMs: now) {
                emit(event(for: next, replies: &replies), emitted: &emitted)
            }
            if index == 0 {
                let rates = moRates.withLock { $0 }
                for r in rates {
                    let interval = Int64(max(1000 / r.perSecond, 1))
                    var due = nextMO[r.accountIndex] ?? now
                    while due <= now {
                        subscriber = 15_550_000_000 + (random.next() % 10_000_000)
                        let text = Array("MO \(subscriber % 100_000) hello".utf8)
                        emit(.mo(CarrierMO(accountIndex: r.accountIndex, source: subscriber, destination: r.accountNumber,
                                           text: text, dataCoding: 0x01)), emitted: &emitted)
                        due += interval
                    }
                    nextMO[r.accountIndex] = due
                }
            }
            if emitted > 0 { doorbell() }
            if taken > 0 {
                idleNaps = 0
                continue
            }
            // Sleep until the next due event (or background MO tick), or new work.
            now = clock()
            var waitMs: Int64 = Self.longestSleepMs
            if let at = planned.nextDueMs { waitMs = min(waitMs, max(at - now, 0)) }
            if index == 0 && !nextMO.isEmpty { waitMs = min(waitMs, max((nextMO.values.min() ?? now) - now, 0)) }
            guard waitMs > 0 else { continue }
            if idleNaps < Self.napsBeforeDeepSleep {
                // Busy: look at the queue again within a millisecond; woken earlier only by a backlog.
                idleNaps += 1
                nappers.add(1, ordering: .sequentiallyConsistent)
                if submissions.count < Self.napperWakeBacklog { sleep(milliseconds: min(waitMs, 1)) }
                nappers.subtract(1, ordering: .relaxed)
            } else {
                sleepers.add(1, ordering: .sequentiallyConsistent)
                if submissions.isEmpty { sleep(milliseconds: waitMs) }
                sleepers.subtract(1, ordering: .relaxed)
            }
        }
    }

    private func event(for d: DueQueue.Event, replies: inout ReplySlab) -> CarrierEvent {
        switch d.kind {
        case .forwarded:
            preconditionFailure("forwarded is never planned (runWorker)")
        case .outcome(let state, let err):
            return .outcome(messageID: d.messageID, state: state, errorCode: err, atMs: d.atMs)
        case .autoReply:
            let s = replies.take(d.replySlot)
            return .mo(CarrierMO(accountIndex: s.accountIndex, source: s.destination, destination: s.source,
                                 text: s.excerpt.prefixed(by: "Re: "), dataCoding: 0x01))
        }
    }

    /// Pushes one event; when the queue is full, rings the loop and retries (never drops).
    private func emit(_ e: CarrierEvent, emitted: inout Int) {
        var pending = e
        while let back = events.tryPush(pending) {
            pending = back
            doorbell()
            if isStopping.load(ordering: .acquiring) { return }
            sleep(milliseconds: 1)
        }
        emitted += 1
    }

    /// Naps (each up to 1 ms) a worker takes after its last submission before it sleeps until
    /// woken. While napping, the loop wakes it only once `napperWakeBacklog` submissions wait.
    /// Why: at one PDU per TLS record the loop runs tens of thousands of short iterations a
    /// second, and a futex wake per iteration (with the context switches it causes on 2 cores)
    /// would cost the loop more than its own work. At high rates the backlog builds within an
    /// iteration, so busy workers are still woken at once and the hand-off stays smooth (pure
    /// 1 ms polling would hand the carrier bursts of a thousand messages at a time).
    /// A submission waits at most ~1 ms for the carrier. After ~50 ms without work the worker
    /// sleeps until woken, so an idle daemon does not tick.
    static let napsBeforeDeepSleep = 50
    /// The longest sleep with nothing planned: a safety net only, as every submission wakes a
    /// sleeping worker.
    static let longestSleepMs: Int64 = 5_000
    static let napperWakeBacklog = 64

    private func sleep(milliseconds ms: Int64) {
        wakeup.wait(milliseconds: ms)
    }
}
