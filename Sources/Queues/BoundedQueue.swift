// Bounded multi-producer multi-consumer queue (Dmitry Vyukov's array queue, in the shape of
// crossbeam's ArrayQueue). Any thread may push or pop. Lock-free except that a push (pop) can
// spin briefly while a pop (push) that claimed the same slot finishes copying its element.
// Unsafe code: the slot array is raw memory; invariants below.
//
// Invariants
//  - capacity is a power of two >= 2 (with 1, "free for the next lap" and "full" would be the
//    same stamp); `mask == capacity - 1`; positions only grow (wrapping Int).
//  - slot i starts with stamp == i. A slot whose stamp == pos is free for the push at pos;
//    stamp == pos + 1 means it holds the element pushed at pos, ready for the pop at pos;
//    the pop at pos stores stamp = pos + capacity, freeing the slot for the next lap.
//  - a slot's element is initialised exactly while stamp == pos + 1 for some pos (between the
//    pusher's release-store and the popper's CAS); only the thread that won the CAS on
//    head/tail for that position touches the element.
//  - head and tail live on separate 128-byte lines (adjacent-line prefetch on x86 pulls pairs).

import Synchronization

/// A bounded MPMC queue. `tryPush` returns the element back when the queue is full; nothing is
/// ever dropped. Elements are moved in and out; keep them small (a few words) for speed.
public final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: all shared state is reached through atomics; element memory is
    // handed between threads by the stamp protocol above (release store / acquire load).

    public let capacity: Int
    private let mask: Int
    /// head at offset 0, tail at offset `lineSize`; each is an Atomic<Int>.
    private let indices: UnsafeMutableRawPointer
    /// `capacity` slots of `slotStride` bytes: Atomic<Int> stamp at 0, Element at `valueOffset`.
    private let slots: UnsafeMutableRawPointer
    private let slotStride: Int
    private let valueOffset: Int

    private static var lineSize: Int { 128 }

    /// - Parameter capacity: minimum number of elements; rounded up to a power of two, at least 2.
    public init(capacity requested: Int) {
        precondition(requested >= 1 && requested <= (1 << 40), "BoundedQueue capacity out of range: \(requested)")
        var cap = 2
        while cap < requested { cap <<= 1 }
        capacity = cap
        mask = cap - 1

        let line = Self.lineSize
        indices = UnsafeMutableRawPointer.allocate(byteCount: 2 * line, alignment: line)
        indices.initializeMemory(as: Atomic<Int>.self, to: Atomic(0))
        (indices + line).initializeMemory(as: Atomic<Int>.self, to: Atomic(0))

        let stampSize = MemoryLayout<Atomic<Int>>.size
        let valueAlign = MemoryLayout<Element>.alignment
        valueOffset = (stampSize + valueAlign - 1) / valueAlign * valueAlign
        let slotAlign = max(MemoryLayout<Atomic<Int>>.alignment, valueAlign)
        let raw = valueOffset + MemoryLayout<Element>.size
        slotStride = (raw + slotAlign - 1) / slotAlign * slotAlign
        slots = UnsafeMutableRawPointer.allocate(byteCount: slotStride * cap, alignment: max(slotAlign, 64))
        for i in 0..<cap {
            (slots + i * slotStride).initializeMemory(as: Atomic<Int>.self, to: Atomic(i))
        }
    }

    deinit {
        while tryPop() != nil {}
        for i in 0..<capacity {
            _ = (slots + i * slotStride).assumingMemoryBound(to: Atomic<Int>.self).deinitialize(count: 1)
        }
        _ = indices.assumingMemoryBound(to: Atomic<Int>.self).deinitialize(count: 1)
        _ = (indices + Self.lineSize).assumingMemoryBound(to: Atomic<Int>.self).deinitialize(count: 1)
        slots.deallocate()
        indices.deallocate()
    }

    @inline(__always) private var head: UnsafeMutablePointer<Atomic<Int>> {
        indices.assumingMemoryBound(to: Atomic<Int>.self)
    }
    @inline(__always) private var tail: UnsafeMutablePointer<Atomic<Int>> {
        (indices + Self.lineSize).assumingMemoryBound(to: Atomic<Int>.self)
    }
    @inline(__always) private func stamp(_ index: Int) -> UnsafeMutablePointer<Atomic<Int>> {
        (slots + index * slotStride).assumingMemoryBound(to: Atomic<Int>.self)
    }
    @inline(__always) private func value(_ index: Int) -> UnsafeMutablePointer<Element> {
        (slots + index * slotStride + valueOffset).assumingMemoryBound(to: Element.self)
    }

    /// Pushes `element`, or returns it untouched when the queue is full (the caller decides:
    /// answer "queue full", retry later; never drop). Returns nil on success.
    @discardableResult
    public func tryPush(_ element: consuming Element) -> Element? {
        var spins = 0
        var pos = tail.pointee.load(ordering: .relaxed)
        while true {
            let index = pos & mask
            let slotStamp = stamp(index).pointee.load(ordering: .acquiring)
            if slotStamp == pos {
                // Claim position `pos`; the element write below is published by the stamp store.
                let (won, current) = tail.pointee.weakCompareExchange(
                    expected: pos, desired: pos &+ 1, successOrdering: .relaxed, failureOrdering: .relaxed)
                if won {
                    value(index).initialize(to: element)
                    stamp(index).pointee.store(pos &+ 1, ordering: .releasing)
                    return nil
                }
                pos = current
            } else if slotStamp &+ capacity == pos &+ 1 {
                // The slot still holds last lap's element. Full only if head has not moved past it;
                // the fence orders our tail read before the head read (crossbeam's SeqCst fence).
                atomicMemoryFence(ordering: .sequentiallyConsistent)
                let h = head.pointee.load(ordering: .relaxed)
                if h &+ capacity == pos { return element }
                backoff(&spins)
                pos = tail.pointee.load(ordering: .relaxed)
            } else {
                // Another producer claimed this slot or we read a stale tail: retry.
                backoff(&spins)
                pos = tail.pointee.load(ordering: .relaxed)
            }
        }
    }

    /// Pops the oldest element, or nil when the queue is empty.
    public func tryPop() -> Element? {
        var spins = 0
        var pos = head.pointee.load(ordering: .relaxed)
        while true {
            let index = pos & mask
            let slotStamp = stamp(index).pointee.load(ordering: .acquiring)
            if slotStamp == pos &+ 1 {
                let (won, current) = head.pointee.weakCompareExchange(
                    expected: pos, desired: pos &+ 1, successOrdering: .relaxed, failureOrdering: .relaxed)
                if won {
                    let element = value(index).move()
                    // Hand the slot to the pusher of the next lap.
                    stamp(index).pointee.store(pos &+ capacity, ordering: .releasing)
                    return element
                }
                pos = current
            } else if slotStamp == pos {
                // Slot empty for this lap: empty only if tail has not moved past it.
                atomicMemoryFence(ordering: .sequentiallyConsistent)
                let t = tail.pointee.load(ordering: .relaxed)
                if t == pos { return nil }
                backoff(&spins)
                pos = head.pointee.load(ordering: .relaxed)
            } else {
                backoff(&spins)
                pos = head.pointee.load(ordering: .relaxed)
            }
        }
    }

    /// A snapshot; exact only when no other thread is pushing or popping.
    public var count: Int {
        while true {
            let t = tail.pointee.load(ordering: .sequentiallyConsistent)
            let h = head.pointee.load(ordering: .sequentiallyConsistent)
            if tail.pointee.load(ordering: .sequentiallyConsistent) == t {
                return max(0, min(capacity, t &- h))
            }
        }
    }

    public var isEmpty: Bool { count == 0 }
    public var isFull: Bool { count == capacity }

    /// Spin a little, then yield the CPU: on 2 shared cores the thread we wait for may be descheduled.
    @inline(__always) private func backoff(_ spins: inout Int) {
        spins += 1
        if spins > 6 { _ = schedYield() }
    }
}

/// `sched_yield(2)` without importing Glibc: Queues imports only Synchronization (STYLE 9.1).
/// A no-argument C function returning int has the same register contract under swiftcc on
/// x86-64 and arm64, which is what makes this declaration sound.
@_silgen_name("sched_yield")
private func schedYield() -> Int32
