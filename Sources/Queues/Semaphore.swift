// Semaphore: a POSIX counting semaphore, for a thread that sleeps until a queue it drains has
// work (the carrier workers, the journal writer) or until a deadline. Any thread may post or
// wait.
// Unsafe code: the sem_t lives in memory of its own, allocated in init and freed in deinit,
// because sem_* need a stable address (a stored property may move); sem_init succeeded before
// any other call, and no thread waits on it once deinit runs (the owner joins its threads).

import Glibc

/// A counting semaphore starting at 0. `post` adds one; `wait` takes one, sleeping until there
/// is one; `wait(milliseconds:)` gives up at the deadline. Signals never end a wait early.
public final class Semaphore: @unchecked Sendable {
    // @unchecked: sem_post / sem_wait are thread-safe; the pointer itself never changes.
    private let sem = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    public init() {
        // Fails only for a bad argument (a value above SEM_VALUE_MAX): a bug.
        precondition(sem_init(sem, 0, 0) == 0, "sem_init: errno \(errno)")
    }

    deinit {
        sem_destroy(sem)
        sem.deallocate()
    }

    /// Adds one, waking a waiter if there is one.
    public func post() {
        sem_post(sem)
    }

    /// Takes one, sleeping until one is posted (EINTR only restarts the wait).
    public func wait() {
        while sem_wait(sem) != 0 && errno == EINTR {}
    }

    /// Takes one if one is posted within `ms` milliseconds; else returns at the deadline.
    /// The deadline is on CLOCK_REALTIME, the only clock sem_timedwait takes.
    public func wait(milliseconds ms: Int64) {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let ns = Int64(deadline.tv_nsec) + (ms % 1000) * 1_000_000
        deadline.tv_sec += Int(ms / 1000) + Int(ns / 1_000_000_000)
        deadline.tv_nsec = Int(ns % 1_000_000_000)
        while sem_timedwait(sem, &deadline) != 0 && errno == EINTR {}
    }
}
