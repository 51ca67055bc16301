// JournalWriter: the one thread that writes the journal (group commit). The loop thread seals
// each turn's changes into a batch and pushes it here through a lock-free queue; this thread
// writes everything that has accumulated (one pwrite per batch, into a pre-allocated
// segment), syncs per the fsync policy, publishes "durable through batch N" in an atomic and
// calls `notify` (the loop's doorbell). A sync therefore covers every batch that arrived
// while the previous one ran, so batches grow with load. Used buffers go back to the loop
// through a second queue, so a steady state allocates nothing.
// Unsafe code (allow-listed): the pthread start box (Unmanaged), retained exactly once for the
// thread that takes it; the zero trailer's 8 bytes, allocated for the writer's lifetime.
//
// Segments are recycled: one that compaction takes out of the log becomes a spare, and the
// next segment needed is that file written over, not a new one. Its blocks are allocated
// (no extent to convert when a sync follows) and its pages are still in the page cache, so
// a write copies into pages the kernel already has instead of allocating fresh ones (which
// cost several times the copy itself on this machine kind: perf/RESULTS.md). Every write
// ends with 8 zero bytes past its last batch (the next frame's length, 0), so a recycled
// file reads as ending where its new batches end; JournalReader ignores what it held before.
//
// Failures (a full disk, EFBIG under RLIMIT_FSIZE, EIO): the batch that failed is kept and
// retried every `retryInterval` until it goes through, in order, before any later one; the
// errno stays visible to the loop (`failureErrno`), which refuses new work meanwhile. Nothing
// is reported durable that is not written (and, with `always`, synced).

#if canImport(Glibc)
import Glibc
#endif
import Queues
import Synchronization

/// What survives a power loss (Redis's appendfsync meanings). All three survive kill -9:
/// a batch is reported durable only once written to the OS.
public enum FsyncPolicy: String, Sendable, CaseIterable {
    /// Each group commit is fdatasync'ed before it is reported durable.
    case always
    /// Reported durable once written; synced about once a second.
    case everysec
    /// Reported durable once written; the OS syncs when it likes.
    case never
}

/// One segment file of the log: its first batch and its size on disk (pre-allocated).
public struct JournalSegment: Sendable, Equatable {
    public var firstSequence: UInt64
    public var bytes: Int
    public init(firstSequence: UInt64, bytes: Int) {
        self.firstSequence = firstSequence
        self.bytes = bytes
    }
}

public struct JournalConfiguration: Sendable {
    public var directory: String
    public var fsync: FsyncPolicy
    /// A new segment's pre-allocated size.
    public var segmentBytes: Int
    /// The writer thread's nice value; nil: `defaultWriterNiceOffset` above the daemon's.
    public var writerNice: Int32?
    public init(directory: String, fsync: FsyncPolicy = .always, segmentBytes: Int = 64 << 20, writerNice: Int32? = nil) {
        self.directory = directory
        self.fsync = fsync
        self.segmentBytes = segmentBytes
        self.writerNice = writerNice
    }

    /// The writer runs a few nice levels below the daemon by default. It wakes thousands of
    /// times a second (each write and sync that completes); at the daemon's own value each
    /// wake-up may preempt the loop thread in the middle of a turn, and on shared cores the
    /// submit_sm_resp tail doubled (perf/RESULTS.md). Below the loop, it waits for the loop's
    /// turn to end instead; the work it does per wake-up is short, and under contention its
    /// batches grow instead of falling behind.
    public static let defaultWriterNiceOffset: Int32 = 5

    /// The nice value the writer asks for, given the daemon's own: the configured one, or
    /// `defaultWriterNiceOffset` above the daemon's, at most 19 (the lowest priority).
    public func effectiveWriterNice(daemonNice: Int32) -> Int32 {
        writerNice ?? min(daemonNice + Self.defaultWriterNiceOffset, 19)
    }
}

public final class JournalWriter: @unchecked Sendable {
    // @unchecked Sendable: the loop and the writer share only the queues and atomics below;
    // the `writer*` fields are the writer thread's alone once start() returns; `lastError`
    // is behind a Mutex; `requestedNice` is set before the thread exists and
    // `niceRefusedErrno` by the thread before it posts `started`, which start() waits for.

    /// One sealed batch and what to do around it.
    struct Item: Sendable {
        var batch: JournalBatch
        var sequence: UInt64
        /// Start a new segment with this batch (a compaction pass begins).
        var startsSegment: Bool
        /// Once this batch is durable, remove the segments whose batches all come before this
        /// sequence number (a compaction pass ended); 0 = none.
        var removeSegmentsBefore: UInt64
    }

    public let configuration: JournalConfiguration
    private let incoming = BoundedQueue<Item>(capacity: 4096)
    private let recycled = BoundedQueue<JournalBatch>(capacity: 256)
    /// Durable batches, in order, for the loop to copy before it recycles them (only with
    /// `handsBackDurableBatches`: a node that ships its log, issue 15).
    private let durableOut = BoundedQueue<JournalBatch>(capacity: 256)
    private let durableOutOverflowed = Atomic<Bool>(false)
    /// A pooled batch's first size; one that needed more keeps its larger size.
    public static let pooledBatchBytes = 256 * 1024
    private let durable = Atomic<UInt64>(0)
    private let failure = Atomic<Int32>(0)
    private let failureCount = Atomic<Int>(0)
    private let diskBytes = Atomic<Int>(0)
    private let logBytes = Atomic<Int>(0)
    private let recycledCount = Atomic<Int>(0)
    private let segmentCount = Atomic<Int>(0)
    private let syncs = Atomic<Int>(0)
    private let removedBefore = Atomic<UInt64>(0)
    private let stopping = Atomic<Bool>(false)
    private let lastError = Mutex<JournalIOError?>(nil)
    /// The segments in the log, oldest first (the writer's list as last published).
    private let publishedSegments = Mutex<[JournalSegment]>([])
    private let wakeup = Semaphore()
    private let notify: @Sendable () -> Void
    private var thread: pthread_t?

    // The writer thread's own.
    private var writerSegments: [(first: UInt64, path: String, size: Int)] = []
    private var writerFD: Int32 = -1
    private var writerOffset = 0
    private var writerUnsynced = false
    private var writerLastSyncMs: Int64 = 0
    /// pwritev's vectors, reused.
    private var writerVectors: [iovec] = []
    /// Segments taken out of the log, still being trimmed away (writer thread only).
    private var writerRetired: [String] = []
    /// Segments taken out of the log and kept to be written over (recycled), with their sizes.
    /// At most as many bytes as the log holds; unused for `spareIdleMs`, they are trimmed.
    private var writerSpares: [(path: String, size: Int)] = []
    private var writerLastSpareUseMs: Int64 = 0
    static let spareIdleMs: Int64 = 60_000
    /// The 8 zero bytes written after every write's last batch.
    private let zeroTrailer: UnsafeMutableRawPointer = {
        let p = UnsafeMutableRawPointer.allocate(byteCount: JournalFrame.prefixBytes, alignment: 8)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: JournalFrame.prefixBytes)
        return p
    }()
    private var writerLastTrimMs: Int64 = 0
    /// Bytes cut off a retired segment at a time, and how often.
    static let trimStepBytes = 4 << 20
    static let trimIntervalMs: Int64 = 50

    /// Retry pause after a failed write or sync.
    static let retryIntervalMs: Int64 = 100
    /// How long stop() keeps retrying a failing write before it gives up.
    static let stopRetryMs: Int64 = 5_000
    private var stopDeadlineMs: Int64 = 0
    /// Batches written before they are reported durable and handed back, at most. With the
    /// loop's own limit on batches queued (StoreJournal.maximumQueuedBatches) this bounds the
    /// batches in circulation, so the pool made at start serves them all: none is allocated
    /// while running.
    public static let batchesPerCommit = 16
    /// Batches made at start, for the loop to fill (see batchesPerCommit).
    public static let pooledBatches = 40

    /// `notify` is called on the writer thread after each advance of `durableSequence` and
    /// after each change of `failureErrno`.
    /// When true, each batch that becomes durable is handed to the loop (takeDurable) instead
    /// of going straight back to the pool: the loop copies its sealed bytes (one copy per
    /// batch) and gives it back with recycle(_:). Set before start().
    public let handsBackDurableBatches: Bool

    public init(configuration: JournalConfiguration, handsBackDurableBatches: Bool = false,
                notify: @escaping @Sendable () -> Void) {
        self.configuration = configuration
        self.handsBackDurableBatches = handsBackDurableBatches
        self.notify = notify
    }

    deinit {
        stop()
        zeroTrailer.deallocate()
    }

    /// Opens a new segment for batches from `firstSequence` on (the batches recovery read stay
    /// in their segments) and starts the thread. `durableSequence` starts at firstSequence - 1.
    public func start(firstSequence: UInt64) throws(JournalIOError) {
        try SegmentFiles.makeDirectory(configuration.directory)
        for s in try SegmentFiles.list(configuration.directory) {
            var st = stat()
            let size = stat(s.path, &st) == 0 ? Int(st.st_size) : 0
            writerSegments.append((s.first, s.path, size))
        }
        writerRetired = SegmentFiles.listRetired(configuration.directory)
        for path in SegmentFiles.listSpares(configuration.directory) {
            var st = stat()
            if stat(path, &st) == 0 { writerSpares.append((path, Int(st.st_size))) } else { writerRetired.append(path) }
        }
        writerLastSpareUseMs = nowMs()
        try openSegment(firstSequence: firstSequence, atLeast: 0)
        durable.store(firstSequence - 1, ordering: .releasing)
        for _ in 0..<Self.pooledBatches { _ = recycled.tryPush(JournalBatch(capacity: Self.pooledBatchBytes)) }
        // Linux applies PRIO_PROCESS with who = 0 to the calling thread only: this is the
        // daemon's value, which the new thread inherits before it sets its own.
        Glibc.errno = 0
        let own = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        requestedNice = configuration.effectiveWriterNice(daemonNice: Glibc.errno == 0 ? own : 0)
        let box = Unmanaged.passRetained(self)
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            let writer = Unmanaged<JournalWriter>.fromOpaque(raw!).takeRetainedValue()
            writer.setUpThread()
            writer.run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw JournalIOError(call: "pthread_create", path: configuration.directory, errno: rc)
        }
        thread = tid
        started.wait()
    }

    /// The nice value the writer thread asked for (set by start()).
    public private(set) var requestedNice: Int32 = 0
    /// errno of the writer thread's setpriority when the OS refused `requestedNice` (a value
    /// below the daemon's needs CAP_SYS_NICE or RLIMIT_NICE); nil when it got it. Set once
    /// start() returns.
    public private(set) var niceRefusedErrno: Int32?
    private let started = Semaphore()

    /// On the writer thread, first: its name (for top -H, perf, /proc) and its nice value;
    /// then start() may return.
    private func setUpThread() {
        // pthread_setname_np does not import (a _GNU_SOURCE declaration); this is what it does.
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        if fd >= 0 {
            _ = "journal-writer".withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
        if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, requestedNice) != 0 { niceRefusedErrno = Glibc.errno }
        started.post()
    }

    /// Writes what is queued, syncs it and ends the thread (shutdown). Idempotent.
    public func stop() {
        guard let tid = thread else { return }
        thread = nil
        stopping.store(true, ordering: .releasing)
        wakeup.post()
        pthread_join(tid, nil)
    }

    // MARK: The loop's side

    /// Hands a batch to the writer; the caller must not touch it again (takeBuffer hands
    /// batches back). Spins only if 4096 batches are already waiting (the disk is that far
    /// behind): the loop must not drop an acknowledged change.
    public func submit(_ batch: JournalBatch, startsSegment: Bool = false, removeSegmentsBefore: UInt64 = 0) {
        var item = Item(batch: batch, sequence: batch.sequence, startsSegment: startsSegment,
                        removeSegmentsBefore: removeSegmentsBefore)
        while let back = incoming.tryPush(item) {
            item = back
            wakeup.post()
            sched_yield()
        }
        wakeup.post()
    }

    /// Any thread: waits (polling every 0.2 ms) until batch `sequence` is durable; false if it
    /// is not within `timeout`. For the admin API's few requests, not for the hot path.
    public func waitUntilDurable(_ sequence: UInt64, timeout: Duration) -> Bool {
        let (s, atto) = timeout.components
        let deadline = nowMs() + Int64(s) * 1000 + Int64(atto / 1_000_000_000_000_000)
        while durableSequence < sequence {
            if nowMs() >= deadline { return false }
            usleep(200)
        }
        return true
    }

    /// A batch built elsewhere as bytes (JournalFrame.emptyBatch + entries): copied into a
    /// JournalBatch. For tests and tools; the loop uses JournalBatch directly.
    public func submit(_ bytes: [UInt8], startsSegment: Bool = false, removeSegmentsBefore: UInt64 = 0) {
        let batch = JournalBatch(capacity: bytes.count, sequence: JournalFrame.sequence(of: bytes))
        batch.append(contentsOf: Array(bytes[JournalFrame.headerBytes...]))
        submit(batch, startsSegment: startsSegment, removeSegmentsBefore: removeSegmentsBefore)
    }

    /// A used batch to fill next, if the writer has one back.
    public func takeBuffer() -> JournalBatch? { recycled.tryPop() }

    /// With handsBackDurableBatches: the next batch that became durable, in log order (its
    /// bytes sealed: length and CRC in place). Give it back with recycle(_:) once copied.
    public func takeDurable() -> JournalBatch? { durableOut.tryPop() }

    /// True (once, then reset) when durable batches could not be handed over because the loop
    /// had not taken the previous 256: the sequence the loop sees has a gap.
    public func takeDurableOverflow() -> Bool { durableOutOverflowed.exchange(false, ordering: .acquiringAndReleasing) }

    /// A batch taken with takeDurable, back to the pool.
    public func recycle(_ batch: JournalBatch) {
        batch.shrink(ifLargerThan: Self.pooledBatchBytes * 4, to: Self.pooledBatchBytes)
        _ = recycled.tryPush(batch)
    }

    /// Every batch up to this one is durable (per the policy).
    public var durableSequence: UInt64 { durable.load(ordering: .acquiring) }
    /// errno of the write or sync that is failing now; 0 when writes go through.
    public var failureErrno: Int32 { failure.load(ordering: .acquiring) }
    /// Failed writes and syncs since start.
    public var failures: Int { failureCount.load(ordering: .relaxed) }
    /// The failing call, for the log.
    public var failureDescription: String? { lastError.withLock { $0?.description } }
    /// Bytes the journal takes on disk: the log's segments and the spares (pre-allocated sizes).
    public var bytesOnDisk: Int { diskBytes.load(ordering: .relaxed) }
    /// Bytes of the log's segments alone (what compaction works on).
    public var bytesInLog: Int { logBytes.load(ordering: .relaxed) }
    /// Segments made by writing over a spare instead of creating a file.
    public var recycledSegments: Int { recycledCount.load(ordering: .relaxed) }
    public var segments: Int { segmentCount.load(ordering: .relaxed) }
    /// The segments in the log, oldest first, the last one being written: where a compaction
    /// pass may cut (removeSegmentsBefore: a segment's first batch).
    public var segmentsInLog: [JournalSegment] { publishedSegments.withLock { $0 } }
    /// The largest `removeSegmentsBefore` carried out so far (0: none): a compaction pass
    /// whose first batch this is has had the segments it replaced taken out of the log.
    public var segmentsRemovedBefore: UInt64 { removedBefore.load(ordering: .acquiring) }
    /// fdatasync calls made.
    public var syncCount: Int { syncs.load(ordering: .relaxed) }
    /// Batches handed over and not yet taken by the writer.
    public var queuedBatches: Int { incoming.count }

    // MARK: The writer thread

    private func run() {
        // Taken from the queue, not yet written; kept across a failed write, in order.
        var pending: [Item] = []
        pending.reserveCapacity(Self.batchesPerCommit)
        var writtenThrough = durable.load(ordering: .relaxed)
        var written: [JournalBatch] = []
        written.reserveCapacity(Self.batchesPerCommit)
        var pendingRemovals: [UInt64] = []
        var stuck = false
        while true {
            trimRetired()
            while written.count + pending.count < Self.batchesPerCommit, let item = incoming.tryPop() { pending.append(item) }
            stuck = false
            var done = 0
            while done < pending.count {
                let run: Int
                do {
                    run = try writeRun(pending, from: done)
                } catch {
                    fail(error)
                    stuck = true
                    break
                }
                for k in done..<(done + run) {
                    writtenThrough = pending[k].sequence
                    if pending[k].removeSegmentsBefore > 0 { pendingRemovals.append(pending[k].removeSegmentsBefore) }
                    written.append(pending[k].batch)
                }
                done += run
            }
            pending.removeFirst(done)
            if writtenThrough > durable.load(ordering: .relaxed) {
                if configuration.fsync == .always {
                    do { try syncNow() } catch {
                        fail(error)
                        if givingUpOnStop() { return }
                        pause()
                        continue
                    }
                }
                durable.store(writtenThrough, ordering: .releasing)
                if handsBackDurableBatches {
                    // In order; a full hand-over queue drops the batch into the pool and says so.
                    for b in written where durableOut.tryPush(b) != nil {
                        durableOutOverflowed.store(true, ordering: .releasing)
                        recycle(b)
                    }
                    written.removeAll(keepingCapacity: true)
                }
                while let b = written.popLast() {
                    b.shrink(ifLargerThan: Self.pooledBatchBytes * 4, to: Self.pooledBatchBytes)
                    _ = recycled.tryPush(b)
                }
                if !stuck { recover() }
                notify()
                if !pendingRemovals.isEmpty {
                    // The compaction's copy must be on disk before what it replaces is gone,
                    // whatever the policy (everysec and never report before a sync).
                    do {
                        if writerUnsynced { try syncNow() }
                        for before in pendingRemovals {
                            removeSegments(before: before)
                            removedBefore.store(before, ordering: .releasing)
                        }
                        pendingRemovals.removeAll()
                    } catch { fail(error) }
                }
                continue
            }
            if stuck {
                // Shutting down with the disk refusing writes: give up after a while. What is
                // not written was never reported durable, so nothing acknowledged is lost.
                if givingUpOnStop() { return }
                pause()
                continue
            }
            if configuration.fsync == .everysec && writerUnsynced && nowMs() - writerLastSyncMs >= 1000 {
                do { try syncNow() } catch { fail(error) }
            }
            if stopping.load(ordering: .acquiring) && incoming.count == 0 {
                if configuration.fsync != .never { try? syncNow() }
                close(writerFD)
                writerFD = -1
                return
            }
            wait(ms: !writerRetired.isEmpty ? Self.trimIntervalMs : configuration.fsync == .everysec ? 1000 : 5000)
        }
    }

    /// Seals (length, CRC) and writes `items[first]` and the ones after it that go into the
    /// same segment, with one pwritev; starts a new segment first when the first batch asks
    /// for one or does not fit. Returns how many batches it wrote.
    /// While stopping with writes or syncs failing: true (and the file closed) once they have
    /// failed for stopRetryMs; until then the caller retries.
    private func givingUpOnStop() -> Bool {
        guard stopping.load(ordering: .acquiring) else { return false }
        if stopDeadlineMs == 0 { stopDeadlineMs = nowMs() + Self.stopRetryMs }
        guard nowMs() >= stopDeadlineMs else { return false }
        close(writerFD)
        writerFD = -1
        return true
    }

    private func writeRun(_ items: [Item], from first: Int) throws(JournalIOError) -> Int {
        let head = items[first]
        head.batch.seal()
        // Room for the batches and the zero trailer after them.
        let trailer = JournalFrame.prefixBytes
        if (head.startsSegment && writerOffset > 0) || writerOffset + head.batch.count + trailer > writerSegments.last!.size {
            try openSegment(firstSequence: head.sequence, atLeast: head.batch.count + trailer)
        }
        var end = first + 1
        var size = head.batch.count
        while end < items.count, !items[end].startsSegment,
              writerOffset + size + items[end].batch.count + trailer <= writerSegments.last!.size {
            items[end].batch.seal()
            size += items[end].batch.count
            end += 1
        }
        writerVectors.removeAll(keepingCapacity: true)
        for k in first..<end { writerVectors.append(items[k].batch.vector) }
        writerVectors.append(iovec(iov_base: zeroTrailer, iov_len: trailer))
        try SegmentFiles.write(writerFD, &writerVectors, at: writerOffset, path: writerSegments.last!.path)
        writerOffset += size
        writerUnsynced = true
        return end - first
    }

    /// Closes the current segment (synced, unless the policy is `never`) and starts a new one.
    private func openSegment(firstSequence: UInt64, atLeast bytes: Int) throws(JournalIOError) {
        let path = configuration.directory + "/" + SegmentFiles.name(firstSequence: firstSequence)
        let size = max(configuration.segmentBytes, bytes + JournalFrame.headerBytes)
        if writerFD >= 0, configuration.fsync != .never, writerUnsynced {
            try syncNow()
        }
        let fd: Int32
        var made = size
        if let i = writerSpares.firstIndex(where: { $0.size >= size }) {
            let spare = writerSpares[i]
            (fd, made) = try SegmentFiles.reuse(spare.path, as: path)
            writerSpares.remove(at: i)
            writerLastSpareUseMs = nowMs()
            recycledCount.add(1, ordering: .relaxed)
        } else {
            fd = try SegmentFiles.create(path, size: size)
        }
        if writerFD >= 0 { close(writerFD) }
        writerFD = fd
        writerOffset = 0
        writerSegments.removeAll { $0.path == path }
        writerSegments.append((firstSequence, path, made))
        publishDiskUse()
    }

    private func syncNow() throws(JournalIOError) {
        guard writerFD >= 0 else { return }
        try SegmentFiles.sync(writerFD, path: writerSegments.last!.path)
        syncs.add(1, ordering: .relaxed)
        writerUnsynced = false
        writerLastSyncMs = nowMs()
    }

    /// Removes every segment, except the current one, whose batches all precede `sequence`.
    /// Takes every segment, except the current one, whose batches all precede `sequence` out
    /// of the log: renamed (recovery reads only the log's names), then trimmed away a few MiB
    /// at a time between commits. Unlinking a 64 MiB segment at once froze this disk's next
    /// fdatasyncs for tens of milliseconds (ext4 freeing its extents).
    private func removeSegments(before sequence: UInt64) {
        var kept: [(first: UInt64, path: String, size: Int)] = []
        var removed: [(first: UInt64, path: String, size: Int)] = []
        for (i, s) in writerSegments.enumerated() {
            let isCurrent = i == writerSegments.count - 1
            let next = isCurrent ? UInt64.max : writerSegments[i + 1].first
            if !isCurrent && next <= sequence {
                removed.append(s)
            } else {
                kept.append(s)
            }
        }
        if !removed.isEmpty {
            // Kept to be written over while the spares hold no more than the log does. The log
            // has just shrunk: spares kept by earlier passes may now be too many.
            var room = kept.reduce(0) { $0 + $1.size } - writerSpares.reduce(0) { $0 + $1.size }
            while room < 0, let extra = writerSpares.popLast() {
                writerRetired.append(extra.path)
                room += extra.size
            }
            for s in removed {
                if s.size <= room {
                    writerSpares.append((SegmentFiles.makeSpare(s.path), s.size))
                    room -= s.size
                } else {
                    writerRetired.append(SegmentFiles.retire(s.path))
                }
            }
            writerSegments = kept
            SegmentFiles.syncDirectory(of: kept.last!.path)
            publishDiskUse()
        }
    }

    /// One step of trimming the retired segments, at most every trimIntervalMs.
    private func trimRetired() {
        if writerRetired.isEmpty, !writerSpares.isEmpty, nowMs() - writerLastSpareUseMs >= Self.spareIdleMs {
            // No segment was needed for a while: give one spare's space back.
            let spare = writerSpares.removeLast()
            writerRetired.append(spare.path)
            writerLastSpareUseMs = nowMs()
            publishDiskUse()
        }
        guard let path = writerRetired.first, nowMs() - writerLastTrimMs >= Self.trimIntervalMs else { return }
        writerLastTrimMs = nowMs()
        if SegmentFiles.trim(path, step: Self.trimStepBytes) { writerRetired.removeFirst() }
    }

    private func publishDiskUse() {
        let inLog = writerSegments.reduce(0) { $0 + $1.size }
        logBytes.store(inLog, ordering: .relaxed)
        diskBytes.store(inLog + writerSpares.reduce(0) { $0 + $1.size }, ordering: .relaxed)
        segmentCount.store(writerSegments.count, ordering: .relaxed)
        let list = writerSegments.map { JournalSegment(firstSequence: $0.first, bytes: $0.size) }
        publishedSegments.withLock { $0 = list }
    }

    private func fail(_ error: JournalIOError) {
        failureCount.add(1, ordering: .relaxed)
        lastError.withLock { $0 = error }
        if failure.exchange(error.errno == 0 ? EIO : error.errno, ordering: .acquiringAndReleasing) == 0 { notify() }
    }

    private func recover() {
        if failure.exchange(0, ordering: .acquiringAndReleasing) != 0 { notify() }
    }

    private func pause() {
        wait(ms: Self.retryIntervalMs)
    }

    private func wait(ms: Int64) {
        wakeup.wait(milliseconds: ms)
    }

    private func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
