// RingQueue: a growable FIFO over a power-of-two ring, internal to Store (the finals queue of
// MemoryMessageStore). Not thread-safe; its owner's thread. Invariant: storage.count is 0 or
// a power of two; the live elements are storage[(head + i) & mask] for i in 0..<count, the
// other slots hold `placeholder` (no optionals, so a UInt32 costs 4 bytes, not 8).

struct RingQueue<Element> {
    private let placeholder: Element
    private var storage: [Element] = []
    private var head = 0
    private(set) var count = 0

    init(placeholder: Element) { self.placeholder = placeholder }

    var isEmpty: Bool { count == 0 }
    var capacity: Int { storage.count }
    var first: Element? { count == 0 ? nil : storage[head] }

    /// The element `offset` places behind the front (0 = `first`), nil past the back.
    func element(at offset: Int) -> Element? {
        offset < count ? storage[(head + offset) & (storage.count - 1)] : nil
    }

    /// Adds `element` at the back; amortised O(1).
    mutating func append(_ element: Element) {
        if count == storage.count { resize(to: Swift.max(16, storage.count * 2)) }
        storage[(head + count) & (storage.count - 1)] = element
        count += 1
    }

    /// Removes and returns the front element; amortised O(1).
    mutating func removeFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = placeholder
        head = (head + 1) & (storage.count - 1)
        count -= 1
        // Give memory back after a burst (hysteresis of 4x, never below 16 slots).
        if storage.count > 16, count < storage.count / 4 { resize(to: storage.count / 2) }
        return element
    }

    private mutating func resize(to newCapacity: Int) {
        var resized = [Element](repeating: placeholder, count: newCapacity)
        for index in 0..<count { resized[index] = storage[(head + index) & (storage.count - 1)] }
        storage = resized
        head = 0
    }
}
