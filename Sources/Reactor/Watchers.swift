// Watchers: every libev watcher we use, each in stable heap memory owned by one Swift object,
// and the @convention(c) trampolines that find that object again through the watcher's `data`
// slot (ev.pod "ASSOCIATING CUSTOM DATA WITH A WATCHER"). No logic lives in a trampoline.
// Loop thread only, except Doorbell.ring(). Unsafe code (allowlisted, STYLE 9.3):
//  - each watcher struct is allocated once, never moved, deallocated only after ev_*_stop;
//  - `data` holds an unretained pointer to the owning wrapper; the wrapper stops its watcher in
//    deinit, so libev never calls back into a freed object;
//  - every wrapper keeps its EventLoop alive, so the ev_loop outlives all its watchers.

#if canImport(Glibc)
import Glibc
#endif
import CShims

// MARK: - I/O readiness (internal)

/// One ev_io on one fd for a fixed event mask (read or write). Start/stop is cheap, so a
/// connection keeps one watcher per direction rather than re-modifying a shared one.
final class IOWatcher {
    private let loop: EventLoop
    private let watcher: UnsafeMutablePointer<ev_io>
    private let onReady: () -> Void

    init(loop: EventLoop, fd: Int32, events: Int32, _ onReady: @escaping () -> Void) {
        self.loop = loop
        self.onReady = onReady
        watcher = .allocate(capacity: 1)
        shim_ev_io_init(watcher, { _, w, _ in
            Unmanaged<IOWatcher>.fromOpaque(w!.pointee.data).takeUnretainedValue().onReady()
        }, fd, events)
        watcher.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        ev_io_stop(loop.raw, watcher)
        watcher.deallocate()
    }

    var isActive: Bool { shim_ev_is_active(watcher) != 0 }

    func start() { if !isActive { ev_io_start(loop.raw, watcher) } }
    func stop() { if isActive { ev_io_stop(loop.raw, watcher) } }
    func set(active: Bool) { if active { start() } else { stop() } }
}

// MARK: - prepare / idle (internal, owned by EventLoop)

/// ev_prepare: runs just before the loop blocks (our "beforeSleep").
final class PrepareWatcher {
    private let raw: OpaquePointer
    private let watcher: UnsafeMutablePointer<ev_prepare>
    private let body: () -> Void

    init(raw: OpaquePointer, _ body: @escaping () -> Void) {
        self.raw = raw
        self.body = body
        watcher = .allocate(capacity: 1)
        shim_ev_prepare_init(watcher) { _, w, _ in
            Unmanaged<PrepareWatcher>.fromOpaque(w!.pointee.data).takeUnretainedValue().body()
        }
        watcher.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        ev_prepare_start(raw, watcher)
    }

    /// Called by EventLoop.deinit before ev_loop_destroy.
    func stop() { ev_prepare_stop(raw, watcher) }

    deinit {
        ev_prepare_stop(raw, watcher)
        watcher.deallocate()
    }
}

/// ev_idle with an empty callback: while active, the loop polls without blocking, so work
/// queued for "the next iteration" (TLS bytes the socket will not signal) is not delayed.
final class IdleWatcher {
    private let raw: OpaquePointer
    private let watcher: UnsafeMutablePointer<ev_idle>

    init(raw: OpaquePointer) {
        self.raw = raw
        watcher = .allocate(capacity: 1)
        shim_ev_idle_init(watcher) { _, _, _ in }
    }

    func set(active: Bool) {
        let isActive = shim_ev_is_active(watcher) != 0
        if active && !isActive { ev_idle_start(raw, watcher) }
        if !active && isActive { ev_idle_stop(raw, watcher) }
    }

    deinit {
        ev_idle_stop(raw, watcher)
        watcher.deallocate()
    }
}

// MARK: - LoopTimer

/// A one-shot timer owned by one object (one per session: re-arm it lazily, libev's "be smart
/// about timeouts" method 3 is the caller's job). Loop thread only. The closure runs on the loop
/// thread; capture the owner weakly or unowned to avoid a cycle.
public final class LoopTimer {
    /// Keeps the EventLoop alive for public timers; nil for the loop's own internal timers
    /// (which must not retain the loop that owns them).
    private let owner: EventLoop?
    private let raw: OpaquePointer
    private let watcher: UnsafeMutablePointer<ev_timer>
    private let fire: () -> Void

    public convenience init(loop: EventLoop, _ fire: @escaping () -> Void) {
        self.init(owner: loop, raw: loop.raw, fire)
    }

    /// For timers owned by the EventLoop itself.
    convenience init(unretainedLoop raw: OpaquePointer, _ fire: @escaping () -> Void) {
        self.init(owner: nil, raw: raw, fire)
    }

    private init(owner: EventLoop?, raw: OpaquePointer, _ fire: @escaping () -> Void) {
        self.owner = owner
        self.raw = raw
        self.fire = fire
        watcher = .allocate(capacity: 1)
        shim_ev_timer_init(watcher) { loop, w, _ in
            // One-shot: the watcher is armed as "repeating" only so ev_timer_again can re-arm it
            // in place (a heap adjust, no stop/start); stop it before running the body.
            ev_timer_stop(loop, w)
            Unmanaged<LoopTimer>.fromOpaque(w!.pointee.data).takeUnretainedValue().fire()
        }
        watcher.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        ev_timer_stop(raw, watcher)
        watcher.deallocate()
    }

    /// Fires once, `after` from the loop's current time; replaces any earlier schedule.
    /// Cheap to call repeatedly (ev_timer_again adjusts the timer heap in place).
    public func schedule(after delay: Duration) {
        owner?.assertOnLoopThread()
        // ev_timer_again with repeat == 0 would just stop the timer: keep it strictly positive.
        watcher.pointee.repeat = max(delay.evSeconds, 1e-6)
        ev_timer_again(raw, watcher)
    }

    public func cancel() {
        ev_timer_stop(raw, watcher)
    }

    public var isScheduled: Bool { shim_ev_is_active(watcher) != 0 }
}

// MARK: - Doorbell

/// ev_async: any thread may ring; `onRing` runs on the loop thread. Rings coalesce (libev queues
/// nothing), so the callback must drain its whole queue every time.
/// Create it on the loop thread or before run(); release it on the loop thread (or after the
/// loop stopped) once no other thread can ring it any more.
public final class Doorbell: @unchecked Sendable {
    // @unchecked Sendable: other threads call only ring(), i.e. ev_async_send, which libev
    // documents as thread-safe; `loop`, `raw`, `watcher` are immutable after init and
    // everything else is touched on the loop thread only.
    private let loop: EventLoop
    private let raw: OpaquePointer
    private let watcher: UnsafeMutablePointer<ev_async>
    private let onRing: () -> Void

    public init(loop: EventLoop, _ onRing: @escaping () -> Void) {
        self.loop = loop
        self.raw = loop.raw
        self.onRing = onRing
        watcher = .allocate(capacity: 1)
        shim_ev_async_init(watcher) { _, w, _ in
            Unmanaged<Doorbell>.fromOpaque(w!.pointee.data).takeUnretainedValue().onRing()
        }
        watcher.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        ev_async_start(raw, watcher)
    }

    deinit {
        ev_async_stop(raw, watcher)
        watcher.deallocate()
    }

    /// Wakes the loop; callable from any thread, never blocks, never allocates.
    public func ring() {
        ev_async_send(raw, watcher)
    }
}

// MARK: - SignalWatcher

/// ev_signal on this loop. libev lets a given signal be watched by one loop at a time (any loop,
/// not only the default one, since libev 4; SIGCHLD stays with the default loop): watch each
/// signal from a single EventLoop. The handler runs on the loop thread, synchronously, never in
/// signal context. Loop thread only.
public final class SignalWatcher {
    private let loop: EventLoop
    private let watcher: UnsafeMutablePointer<ev_signal>
    private let handler: () -> Void

    public init(loop: EventLoop, signal: Int32, _ handler: @escaping () -> Void) {
        self.loop = loop
        self.handler = handler
        watcher = .allocate(capacity: 1)
        shim_ev_signal_init(watcher, { _, w, _ in
            Unmanaged<SignalWatcher>.fromOpaque(w!.pointee.data).takeUnretainedValue().handler()
        }, signal)
        watcher.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        ev_signal_start(loop.raw, watcher)
    }

    public func cancel() {
        ev_signal_stop(loop.raw, watcher)
    }

    deinit {
        ev_signal_stop(loop.raw, watcher)
        watcher.deallocate()
    }
}

// MARK: - thread identity (used by EventLoop's debug check)

/// The calling thread's pthread id as an integer (pthread_t is an integer on Linux).
func currentThreadID() -> UInt { UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))) }
