// EventLoop: one libev loop driven by one thread, plus the Reactor's per-iteration work done
// just before the loop sleeps (Redis beforeSleep): first connections with readable bytes the
// socket will not signal (decrypted TLS bytes buffered in OpenSSL, reads resumed after
// back-pressure), then one output flush per connection that still has pending output (the
// answers to a socket-signalled read burst already left right after it, in
// Connection.handleReadable; what is left here is output written from timers, doorbells and
// queued reads, and output the OutputGate released).
// Loop thread only (after run() starts; before that, the creating thread sets things up).

#if canImport(Glibc)
import Glibc
#endif
import CShims

public final class EventLoop {
    /// The libev loop. Internal: watcher wrappers in Watchers.swift use it.
    let raw: OpaquePointer
    private var prepare: PrepareWatcher?
    private let idle: IdleWatcher
    /// 0 until run() starts; then the loop thread's id (debug checks only).
    private var loopThread: UInt = 0

    // Connection bookkeeping (see Connection.swift for the flags that guard these lists).
    private var connections: [Connection] = []
    private var readQueue: [Connection] = []
    private var flushQueue: [Connection] = []
    private var scratch: [Connection] = []
    private var sweepTimer: LoopTimer?
    private var beforeSleepHooks: [() -> Void] = []

    /// Creates a new libev loop (ev_loop_new(EVFLAG_AUTO): epoll on Linux).
    public init() throws(ReactorError) {
        // Once per process: ignore SIGPIPE (OpenSSL's socket BIO uses write(), so a dead peer
        // would kill us) and load OpenSSL's error strings.
        _ = try EventLoopProcess.setUp()
        guard let loop = ev_loop_new(SHIM_EVFLAG_AUTO) else {
            throw .system(call: "ev_loop_new", errno: Sys.lastErrno)
        }
        raw = loop
        idle = IdleWatcher(raw: loop)
        connections.reserveCapacity(1024)
        readQueue.reserveCapacity(256)
        flushQueue.reserveCapacity(1024)
        scratch.reserveCapacity(1024)
        prepare = PrepareWatcher(raw: loop) { [unowned self] in self.beforeSleep() }
    }

    deinit {
        sweepTimer = nil
        prepare?.stop()
        prepare = nil
        // `idle` is released after this body, i.e. after ev_loop_destroy: safe only because it
        // is inactive then (ev_idle_stop on an inactive, non-pending watcher never reads the loop).
        idle.set(active: false)
        ev_loop_destroy(raw)
    }

    /// Runs the loop on the calling thread until stop(). That thread becomes the loop thread.
    public func run() {
        loopThread = currentThreadID()
        ev_run(raw, 0)
    }

    /// Makes run() return after the current iteration. Loop thread only (from another thread,
    /// ring a Doorbell whose callback calls stop()).
    public func stop() {
        assertOnLoopThread()
        ev_break(raw, Int32(SHIM_EVBREAK_ALL))
    }

    /// The flush gate (OutputGate.swift): nil unless a durable store holds output until its
    /// commits are durable. Set before connections open.
    public var outputGate: OutputGate? {
        didSet { outputGate?.attach(to: self) }
    }

    /// The loop's cached time (ev_now) in milliseconds; updated once per iteration.
    public var nowMilliseconds: Int64 { Int64(ev_now(raw) * 1000) }

    /// Debug builds: traps when called off the loop thread once run() has started.
    @inline(__always)
    public func assertOnLoopThread(file: StaticString = #fileID, line: UInt = #line) {
        assert(loopThread == 0 || loopThread == currentThreadID(),
               "EventLoop used off its loop thread", file: file, line: line)
    }

    /// Number of connections accepted and not yet closed.
    public var connectionCount: Int { connections.count }

    // MARK: connection registry (internal)

    func register(_ connection: Connection) {
        connection.registryIndex = connections.count
        connections.append(connection)
        if sweepTimer == nil, let after = connection.options.releaseIdleBuffersAfter {
            let timer = LoopTimer(unretainedLoop: raw) { [unowned self] in self.sweepIdle() }
            sweepTimer = timer
            sweepInterval = after
        }
        if let timer = sweepTimer, !timer.isScheduled { timer.schedule(after: sweepInterval) }
    }

    func unregister(_ connection: Connection) {
        let index = connection.registryIndex
        guard index >= 0, index < connections.count, connections[index] === connection else { return }
        let last = connections.removeLast()
        if index < connections.count {
            connections[index] = last
            last.registryIndex = index
        }
        connection.registryIndex = -1
    }

    /// Queue a connection to read again before the loop sleeps (idempotent per connection).
    func scheduleRead(_ connection: Connection) {
        guard !connection.isQueuedForRead else { return }
        connection.isQueuedForRead = true
        readQueue.append(connection)
        idle.set(active: true)
    }

    /// Queue a connection for the before-sleep flush (idempotent per connection).
    func scheduleFlush(_ connection: Connection) {
        guard !connection.isQueuedForFlush else { return }
        connection.isQueuedForFlush = true
        flushQueue.append(connection)
    }

    /// Closes every connection now (.closedLocally); for shutdown and tests.
    public func closeAllConnections() {
        assertOnLoopThread()
        // Iterate a copy: a connection inside one of its own callbacks defers its teardown (and
        // its removal from `connections`) until that callback returns.
        for c in connections { c.close() }
    }

    // MARK: before sleep

    private var sweepInterval: Duration = .seconds(10)

    /// Runs `hook` on every loop iteration, before the Reactor's own before-sleep reads and
    /// flushes: the place for work worth doing once per burst of events rather than once per
    /// event (waking worker threads, say). Hooks cannot be removed; keep them cheap when idle.
    public func addBeforeSleepHook(_ hook: @escaping () -> Void) {
        assertOnLoopThread()
        beforeSleepHooks.append(hook)
    }

    private func beforeSleep() {
        // 0. Hooks first, so that threads they wake work while this thread reads and writes.
        for i in beforeSleepHooks.indices { beforeSleepHooks[i]() }
        // 1. Reads the socket will not signal. The list is swapped out first: handlers may queue
        //    connections again (they then wait for the next iteration; the idle watcher keeps the
        //    loop from blocking meanwhile).
        if !readQueue.isEmpty {
            swap(&readQueue, &scratch)
            // Index loop, not for-in: an iterator would hold a second reference to the buffer
            // and make removeAll(keepingCapacity:) copy it (one malloc per iteration).
            for i in scratch.indices {
                let c = scratch[i]
                c.isQueuedForRead = false
                c.readFromQueue()
            }
            scratch.removeAll(keepingCapacity: true)
        }
        // 2. One flush per connection with pending output: many PDUs per SSL_write.
        if !flushQueue.isEmpty {
            swap(&flushQueue, &scratch)
            for i in scratch.indices {
                let c = scratch[i]
                c.isQueuedForFlush = false
                c.flushFromQueue()
            }
            scratch.removeAll(keepingCapacity: true)
        }
        idle.set(active: !readQueue.isEmpty || !flushQueue.isEmpty)
    }

    private func sweepIdle() {
        let now = nowMilliseconds
        for c in connections { c.releaseIdleBuffers(now: now) }
        if !connections.isEmpty { sweepTimer?.schedule(after: sweepInterval) }
    }
}
