// MinHeap: an array-backed binary min-heap, internal to Store. Used for expiry deadlines
// (MemoryMessageStore, which deletes lazily: nothing is removed from the middle) and delivery
// order and retry times (PendingDeliveries). Not thread-safe; its owner's thread.
// Invariant: elements[i] <= both children (2i+1, 2i+2).

struct MinHeap<Element: Comparable> {
    private(set) var elements: [Element] = []

    var isEmpty: Bool { elements.isEmpty }
    var count: Int { elements.count }
    var capacity: Int { elements.capacity }
    var min: Element? { elements.first }

    init() {}

    /// A heap of `elements` in any order (Floyd's bottom-up construction, O(n)).
    init(heapifying elements: consuming [Element]) {
        self.elements = elements
        var i = elements.count / 2
        while i > 0 {
            i -= 1
            siftDown(i)
        }
    }

    /// Adds `element`; O(log n).
    mutating func push(_ element: Element) {
        elements.append(element)
        siftUp(elements.count - 1)
    }

    /// Removes and returns the smallest element; O(log n).
    mutating func popMin() -> Element? {
        guard !elements.isEmpty else { return nil }
        let smallest = elements[0]
        let last = elements.removeLast()
        if !elements.isEmpty {
            elements[0] = last
            siftDown(0)
        }
        // Give memory back after a burst, but not on every pop (hysteresis of 4x).
        if elements.capacity > 1024, elements.count < elements.capacity / 4 {
            var smaller: [Element] = []
            smaller.reserveCapacity(elements.count * 2)
            smaller.append(contentsOf: elements)
            elements = smaller
        }
        return smallest
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        let element = elements[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard element < elements[parent] else { break }
            elements[child] = elements[parent]
            child = parent
        }
        elements[child] = element
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let element = elements[parent]
        let count = elements.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let smaller = right < count && elements[right] < elements[left] ? right : left
            guard elements[smaller] < element else { break }
            elements[parent] = elements[smaller]
            parent = smaller
        }
        elements[parent] = element
    }
}
