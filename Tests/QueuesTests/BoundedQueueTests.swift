// BoundedQueue: edges with capacity 2-4 and exactly-once delivery across producer and
// consumer pthreads (crossbeam's array_queue tests, our own code).

import Testing
import Synchronization
@testable import Queues
#if canImport(Glibc)
import Glibc
#endif

@Suite struct BoundedQueueTests {
    @Test func capacityRoundsUpToPowerOfTwo() {
        #expect(BoundedQueue<Int>(capacity: 1).capacity == 2)
        #expect(BoundedQueue<Int>(capacity: 3).capacity == 4)
        #expect(BoundedQueue<Int>(capacity: 4).capacity == 4)
        #expect(BoundedQueue<Int>(capacity: 5).capacity == 8)
    }

    @Test(arguments: [2, 4, 8])
    func fullQueueHandsTheElementBack(capacity: Int) {
        let q = BoundedQueue<Int>(capacity: capacity)
        #expect(q.tryPop() == nil)
        #expect(q.isEmpty)
        for lap in 0..<5 {
            for i in 0..<capacity { #expect(q.tryPush(lap * 100 + i) == nil) }
            #expect(q.isFull)
            #expect(q.tryPush(-1) == -1, "a full queue returns the element")
            for i in 0..<capacity { #expect(q.tryPop() == lap * 100 + i) }
            #expect(q.tryPop() == nil)
            #expect(q.isEmpty)
        }
    }

    @Test func interleavedPushPopKeepsFIFOAcrossLaps() {
        let q = BoundedQueue<Int>(capacity: 2)
        var next = 0, expected = 0
        for _ in 0..<1000 {
            if q.tryPush(next) == nil { next += 1 }
            if next % 3 == 0, let v = q.tryPop() { #expect(v == expected); expected += 1 }
        }
        while let v = q.tryPop() { #expect(v == expected); expected += 1 }
        #expect(expected == next)
    }


    @Test func elementsLeftInsideAreReleasedOnDeinit() {
        final class Token: Sendable {
            let onDeinit: @Sendable () -> Void
            init(_ f: @escaping @Sendable () -> Void) { onDeinit = f }
            deinit { onDeinit() }
        }
        let released = Counter()
        do {
            let q = BoundedQueue<Token>(capacity: 4)
            for _ in 0..<3 { #expect(q.tryPush(Token { released.add(1) }) == nil) }
            _ = q.tryPop()
            #expect(released.value == 1)
        }
        #expect(released.value == 3)
    }

    @Test(arguments: [(2, 2, 2), (4, 3, 1), (2, 1, 3), (4, 4, 4)])
    func everyElementIsDeliveredExactlyOnce(capacity: Int, producers: Int, consumers: Int) {
        let perProducer = 20_000
        let total = producers * perProducer
        let q = BoundedQueue<Int>(capacity: capacity)
        let seen = SeenTable(size: total)
        let popped = Counter()

        var threads: [pthread_t] = []
        for p in 0..<producers {
            threads.append(spawn {
                for i in 0..<perProducer {
                    var item = p * perProducer + i
                    while let back = q.tryPush(item) { item = back; sched_yield() }
                }
            })
        }
        for _ in 0..<consumers {
            threads.append(spawn {
                while popped.value < total {
                    if let v = q.tryPop() {
                        seen.mark(v)
                        popped.add(1)
                    } else {
                        sched_yield()
                    }
                }
            })
        }
        for t in threads { pthread_join(t, nil) }
        #expect(popped.value == total)
        #expect(seen.allSeenExactlyOnce())
        #expect(q.tryPop() == nil)
    }

    @Test func carriesMultiWordStructs() {
        struct Job: Sendable, Equatable { var id: Int; var a: UInt64; var b: Int32; var tag: UInt8 }
        let q = BoundedQueue<Job>(capacity: 3)
        for i in 0..<4 { #expect(q.tryPush(Job(id: i, a: UInt64(i) * 7, b: Int32(i), tag: UInt8(i))) == nil) }
        #expect(q.tryPush(Job(id: 9, a: 0, b: 0, tag: 0))?.id == 9)
        for i in 0..<4 { #expect(q.tryPop() == Job(id: i, a: UInt64(i) * 7, b: Int32(i), tag: UInt8(i))) }
    }
}

// MARK: - helpers (atomics only, so the thread sanitizer understands them)

final class Counter: Sendable {
    private let storage = Atomic<Int>(0)
    func add(_ n: Int) { storage.add(n, ordering: .relaxed) }
    var value: Int { storage.load(ordering: .relaxed) }
}

final class SeenTable: @unchecked Sendable {
    private let marks: UnsafeMutablePointer<Atomic<UInt8>>
    private let size: Int
    init(size: Int) {
        self.size = size
        marks = .allocate(capacity: size)
        for i in 0..<size { (marks + i).initialize(to: Atomic(0)) }
    }
    deinit { marks.deinitialize(count: size); marks.deallocate() }
    func mark(_ i: Int) { marks[i].add(1, ordering: .relaxed) }
    func allSeenExactlyOnce() -> Bool { (0..<size).allSatisfy { marks[$0].load(ordering: .relaxed) == 1 } }
}

private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

func spawn(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    var tid = pthread_t()
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    let rc = pthread_create(&tid, nil, { raw in
        Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
    }, box)
    precondition(rc == 0, "pthread_create failed: \(rc)")
    return tid
}
