// IDIndex against Dictionary as the model: random inserts, lookups and removals (backward-shift
// deletion is where open addressing goes wrong), keys that share a home bucket, the one key
// that doubles as the empty marker, and growth.
import Testing
@testable import Store

@Suite struct IDIndexTests {
    @Test(arguments: [1, 2, 3, 42])
    func agreesWithDictionaryUnderRandomOperations(seed: UInt64) {
        var index = IDIndex()
        var model: [UInt64: UInt32] = [:]
        var random = SeededGenerator(seed: seed)
        // A small key space forces long probe runs, repeats and removals of present keys.
        let keys: [UInt64] = (0..<600).map { _ in random.next() } + (0..<600).map { UInt64($0) } + [UInt64.max, 0]
        for step in 0..<60_000 {
            let key = keys[Int(random.next() % UInt64(keys.count))]
            switch random.next() % 3 {
            case 0:
                let slot = UInt32(truncatingIfNeeded: step)
                let inserted = index.insert(key, slot: slot)
                let expected = model[key] == nil
                #expect(inserted == expected)
                if inserted { model[key] = slot }
            case 1:
                let removed = index.remove(key)
                let expected = model.removeValue(forKey: key)
                #expect(removed == expected)
            default:
                #expect(index[key] == model[key])
            }
            #expect(index.count == model.count)
            if step % 1_000 == 0 { index.testsOnly_checkInvariants() }
        }
        index.testsOnly_checkInvariants()
        var seen: [UInt64: UInt32] = [:]
        index.forEach { seen[$0] = $1 }
        #expect(seen == model)
        for key in keys { #expect(index[key] == model[key]) }
    }

    @Test func keysWithOneHomeBucketStayFindableAcrossRemovals() {
        var index = IDIndex()
        // Small multiples of 16 all have home bucket 0 in the first (16-bucket) table.
        let colliding = (1...10).map { UInt64($0) * 16 }
        for (i, k) in colliding.enumerated() {
            let inserted = index.insert(k, slot: UInt32(i))
            #expect(inserted)
        }
        let removed3 = index.remove(colliding[3]), removed0 = index.remove(colliding[0])
        #expect(removed3 == 3)
        #expect(removed0 == 0)
        for (i, k) in colliding.enumerated() where i != 0 && i != 3 { #expect(index[k] == UInt32(i)) }
        #expect(index[colliding[3]] == nil)
        let reinserted = index.insert(colliding[3], slot: 99)
        #expect(reinserted)
        #expect(index[colliding[3]] == 99)
    }

    @Test func idsOfOneRunTakeConsecutiveBucketsWithoutCollisions() {
        // MessageIDGenerator's ids: a counter in the low 19 bits, wrapping into the next
        // millisecond. Consecutive ids must not collide (the locality the hash is for).
        var generator = MessageIDGenerator(startUnixMillis: 1_800_000_000_000)
        var index = IDIndex()
        var ids: [UInt64] = []
        for i in 0..<600_000 {   // past one counter wrap (2^19)
            let id = generator.next().rawValue
            ids.append(id)
            _ = index.insert(id, slot: UInt32(i))
        }
        for (i, id) in ids.enumerated() { #expect(index[id] == UInt32(i)) }
        #expect(index.longestProbe <= 2, "consecutive ids collided: probe run \(index.longestProbe)")
    }

    /// The store's own pattern at scale: a run of consecutive ids (one cluster of buckets),
    /// removed oldest first as purges do, while new ones arrive. Each operation must visit a
    /// bounded number of buckets; with plain linear probing each removal walked the whole
    /// cluster and this took minutes (a deterministic count, not a timing).
    @Test func purgingAClusterOfConsecutiveIdsStaysConstantWorkPerRemoval() {
        var generator = MessageIDGenerator(startUnixMillis: 1_800_000_000_000)
        var index = IDIndex()
        var live: [UInt64] = []
        live.reserveCapacity(300_000)
        for i in 0..<300_000 {
            let id = generator.next().rawValue
            live.append(id)
            _ = index.insert(id, slot: UInt32(i))
        }
        let before = index.bucketsVisited
        for i in 0..<200_000 {
            #expect(index.remove(live[i]) == UInt32(i))
            let id = generator.next().rawValue
            _ = index.insert(id, slot: UInt32(300_000 + i))
        }
        let perOperation = Double(index.bucketsVisited - before) / 400_000
        #expect(perOperation < 4, "buckets visited per insert/remove: \(perOperation)")
        // Lookups stop within a key's probe distance, so this bounds them too.
        #expect(index.longestProbe <= 2, "probe run \(index.longestProbe)")
        index.testsOnly_checkInvariants()
        #expect(index.count == 300_000)
        #expect(index[live[199_999]] == nil)
        #expect(index[live[200_000]] == 200_000)
    }

    @Test func growsKeepingEveryKeyAndAtMostThreeQuartersFull() {
        var index = IDIndex()
        var allInserted = true
        for k in 0..<100_000 as Range<UInt64> { allInserted = index.insert(k &* 7919, slot: UInt32(k)) && allInserted }
        #expect(allInserted)
        #expect(index.count == 100_000)
        #expect(index.bucketCount * 3 >= index.count * 4)
        for k in 0..<100_000 as Range<UInt64> { #expect(index[k &* 7919] == UInt32(k)) }
    }
}

