// MinHeap: an array-backed binary min-heap, internal to Store. Used for expiry deadlines
// (MemoryMessageStore) and delivery order and retry times (PendingDeliveries). Not
// thread-safe; its owner's thread. Invariant: elements[i] <= both children (2i+1, 2i+2).
// Callers that must find an element again (to remove it early) pass `moved`, which is told
// every element's new position as it moves, including a pushed element's first one.

struct MinHeap<Element: Comparable> {
    private(set) var elements: [Element] = []

    var isEmpty: Bool { elements.isEmpty }
    var count: Int { elements.count }
    var capacity: Int { elements.capacity }
    var min: Element? { elements.first }

    init() {}

    /// A heap of `elements` in any order (Floyd's bottom-up construction, O(n)).
    init(heapifying elements: [Element]) {
        self.elements = elements
        var i = elements.count / 2
        while i > 0 {
            i -= 1
            siftDown(i, moved: { _, _ in })
        }
    }

    /// Adds `element`; O(log n).
    mutating func push(_ element: Element, moved: (Element, Int) -> Void = { _, _ in }) {
        elements.append(element)
        siftUp(elements.count - 1, moved: moved)
    }

    /// Removes and returns the smallest element; O(log n).
    mutating func popMin(moved: (Element, Int) -> Void = { _, _ in }) -> Element? {
        guard !elements.isEmpty else { return nil }
        return remove(at: 0, moved: moved)
    }

    /// Removes the element at `position` (as last reported by `moved`); O(log n).
    @discardableResult
    mutating func remove(at position: Int, moved: (Element, Int) -> Void = { _, _ in }) -> Element {
        precondition(position >= 0 && position < elements.count, "MinHeap position out of range")
        let removed = elements[position]
        let last = elements.removeLast()
        if position < elements.count {
            elements[position] = last
            moved(last, position)
            siftDown(position, moved: moved)
            siftUp(position, moved: moved)
        }
        // Give memory back after a burst, but not on every pop (hysteresis of 4x).
        if elements.capacity > 1024, elements.count < elements.capacity / 4 {
            var smaller: [Element] = []
            smaller.reserveCapacity(elements.count * 2)
            smaller.append(contentsOf: elements)
            elements = smaller
        }
        return removed
    }

    private mutating func siftUp(_ start: Int, moved: (Element, Int) -> Void) {
        var child = start
        let element = elements[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard element < elements[parent] else { break }
            elements[child] = elements[parent]
            moved(elements[child], child)
            child = parent
        }
        elements[child] = element
        moved(element, child)
    }

    private mutating func siftDown(_ start: Int, moved: (Element, Int) -> Void) {
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
            moved(elements[parent], parent)
            parent = smaller
        }
        elements[parent] = element
        moved(element, parent)
    }
}
