// Verifies slow (scrypt) password hashes on a thread of its own, so a bind never stalls the loop.
// Any thread may call `submit`; results are handed back on the loop thread through a Doorbell.
// Jobs and results cross threads only through the two Mutex-protected arrays below.
// Unsafe code (allowlisted, STYLE 9.3). Invariants: the thread gets the worker retained once
// and releases it when it exits, so the semaphore it waits on is never freed under it;
// @unchecked Sendable because only the Mutex-protected arrays, an atomic and the semaphore
// are shared between the threads.
#if canImport(Glibc)
import Glibc
#endif
import Reactor
import Synchronization

/// One password check in flight. `token` lets the loop find the session that asked.
struct PasswordCheck: Sendable {
    let token: UInt64
    let hash: PasswordHash
    let candidate: [UInt8]
}

/// A worker thread that runs PasswordHash.verify for hashes too slow for the loop.
final class PasswordCheckWorker: @unchecked Sendable {
    // @unchecked: `jobs` and `results` are Mutex-protected; `wakeup` is a POSIX semaphore (made
    // for cross-thread use); `doorbell` is only rung (ev_async_send, thread-safe); `deliver` runs
    // only on the loop thread, from the doorbell callback.
    private let jobs = Mutex<[PasswordCheck]>([])
    private let results = Mutex<[(token: UInt64, ok: Bool)]>([])
    private let wakeup = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private let isStopping = Atomic<Bool>(false)
    private var doorbell: Doorbell!
    private var thread = pthread_t()
    private let deliver: (UInt64, Bool) -> Void

    /// `deliver(token, ok)` is called on the loop thread for every submitted check.
    init(loop: EventLoop, deliver: @escaping (UInt64, Bool) -> Void) {
        self.deliver = deliver
        sem_init(wakeup, 0, 0)
        doorbell = Doorbell(loop: loop) { [unowned self] in self.drainResults() }
        let box = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            let worker = Unmanaged<PasswordCheckWorker>.fromOpaque(raw!).takeRetainedValue()
            worker.runThread()
            return nil
        }, box)
    }

    /// Queues a check; the answer comes back through `deliver`.
    func submit(_ check: PasswordCheck) {
        jobs.withLock { $0.append(check) }
        sem_post(wakeup)
    }

    /// Ends the thread after the current job; pending jobs are dropped (the loop is stopping).
    func stop() {
        isStopping.store(true, ordering: .releasing)
        sem_post(wakeup)
        pthread_join(thread, nil)
    }

    private func runThread() {
        while true {
            while sem_wait(wakeup) != 0 && errno == EINTR {}
            if isStopping.load(ordering: .acquiring) { return }
            let job: PasswordCheck? = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            guard let job else { continue }
            let ok = job.hash.verify(job.candidate)
            results.withLock { $0.append((job.token, ok)) }
            doorbell.ring()
        }
    }

    /// Loop thread: hands every finished check to `deliver` (ev_async coalesces rings, so drain all).
    private func drainResults() {
        let done = results.withLock { r -> [(token: UInt64, ok: Bool)] in
            let out = r
            r.removeAll(keepingCapacity: true)
            return out
        }
        for r in done { deliver(r.token, r.ok) }
    }
}
