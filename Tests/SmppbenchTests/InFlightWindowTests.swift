// smppbench's in-flight table against a Dictionary: answers in any order, answers that never
// come (their slot is reused: the overflow table), unknown and repeated sequence numbers.

import Testing
@testable import smppbench

@Suite struct InFlightWindowTests {
    @Test func behavesLikeADictionaryUnderReorderingAndLostAnswers() {
        let window = 8
        var table = InFlightWindow(window: window)
        var reference: [UInt32: UInt64] = [:]
        var state: UInt64 = 0x1234_5678
        func random() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        var next: UInt32 = 1
        var lost: Set<UInt32> = []   // answers that never come: they stay while the ring wraps past them
        var overflowed = 0
        for step in 0..<50_000 {
            if reference.count < window && random() % 3 != 0 {
                if reference.keys.contains(where: { $0 != next && Int($0) % 16 == Int(next) % 16 }) { overflowed += 1 }
                table.insert(next, sentAt: UInt64(step))
                reference[next] = UInt64(step)
                next += 1
            } else {
                let answerable = reference.keys.filter { !lost.contains($0) }.sorted()
                guard !answerable.isEmpty else { continue }
                let victim = answerable[Int(random() % UInt64(answerable.count))]
                if random() % 1_000 == 0 && lost.count < 4 {
                    lost.insert(victim)
                    continue
                }
                #expect(table.remove(victim) == reference.removeValue(forKey: victim))
                #expect(table.remove(victim) == nil, "removed twice")
            }
            #expect(table.count == reference.count)
            if step % 997 == 0 { #expect(table.remove(next + 5) == nil, "never sent") }
        }
        #expect(!lost.isEmpty && overflowed > 0, "the overflow path was exercised")
        for (sequence, time) in reference { #expect(table.remove(sequence) == time) }
        #expect(table.isEmpty)
    }

    @Test func removeAllEmptiesRingAndOverflow() {
        var table = InFlightWindow(window: 2)
        for s in UInt32(1)...40 { table.insert(s, sentAt: UInt64(s)) }   // far past the ring: overflow
        #expect(table.count == 40)
        table.removeAll()
        #expect(table.isEmpty)
        for s in UInt32(1)...40 { #expect(table.remove(s) == nil) }
    }
}
