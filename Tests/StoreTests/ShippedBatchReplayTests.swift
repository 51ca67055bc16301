// Replaying journal batches held in memory (issue 15: a node's batches shipped to Redis and
// replayed by the node that takes its work over): the writer hands each durable batch back
// sealed, and StoreRecovery.recover(batches:) gives the same store and pending work as
// recovery from the segment files; a batch that does not check out is refused.
import Testing
import SMPP
import Journal
@testable import Store

@Suite struct ShippedBatchReplayTests {
    /// A journal with the writer's hand-back on, some turns of inserts, outcomes, receipts
    /// acknowledged and MO; returns the directory and the framed batches handed back, in order.
    private func journalWithHandBack() throws -> (JournalDirectory, [[UInt8]], UInt64) {
        let directory = JournalDirectory()
        let writer = JournalWriter(configuration: JournalConfiguration(directory: directory.path, fsync: .never, segmentBytes: 64 << 10),
                                   handsBackDurableBatches: true, notify: {})
        try writer.start(firstSequence: 1)
        let journal = StoreJournal(writer: writer, nextSequence: 1)
        var ids = MessageIDGenerator(startUnixMillis: testNow, instance: 3)
        var handed: [[UInt8]] = []
        func drain() {
            while let b = writer.takeDurable() {
                handed.append(b.bytes)
                writer.recycle(b)
            }
        }
        var issued: [MessageID] = []
        for turn in 0..<60 {
            for _ in 0..<20 {
                let id = ids.next()
                var r = makeRecord(id, registeredDelivery: 1)
                r.validityDeadline = testNow + 600_000
                journal.insert(r)
                issued.append(id)
            }
            // Outcomes for some earlier ones, a receipt queued with each; some acknowledged.
            for (k, id) in issued.suffix(30).enumerated() where k % 3 == 0 {
                let state: MessageState = k % 2 == 0 ? .delivered : .undeliverable
                journal.status(id, state: state, isForwarded: true, finalTime: testNow + Int64(turn), errorCode: 0, receiptQueued: true)
                if k % 4 == 0 { journal.receiptDone(id, state: state) }
            }
            let mo = MobileOriginatedMessage(source: StoredAddress("+4915112345678"), destination: StoredAddress("+4917098769990"),
                                             dataCoding: .ascii, shortMessage: Array("mo \(turn)".utf8), id: UInt64(turn + 1))
            journal.mo(mo, account: "acme")
            if turn % 2 == 0 { journal.moDone(UInt64(turn + 1)) }
            journal.credits(account: "acme", configured: 1000, left: 1000 - turn)
            if let sealed = journal.seal(force: true) {
                #expect(writer.waitUntilDurable(sealed, timeout: .seconds(20)))
            }
            drain()
        }
        let last = journal.openSequence - 1
        writer.stop()
        drain()
        return (directory, handed, last)
    }

    private func records(_ store: MemoryMessageStore) -> [String] {
        var out: [String] = []
        _ = store.forEachRecord(from: 0, limit: .max) { r in out.append("\(r.id) \(r.state) \(r.finalTime ?? -1)") }
        return out.sorted()
    }

    @Test func batchesHandedBackReplayToTheSameStoreAsTheFiles() throws {
        let (directory, handed, last) = try journalWithHandBack()
        defer { directory.remove() }
        #expect(handed.count == Int(last), "every batch handed back, in order")
        #expect(handed.enumerated().allSatisfy { i, b in JournalFrame.sequence(of: b) == UInt64(i + 1) })

        let fromFiles = MemoryMessageStore()
        let a = try StoreRecovery.recover(directory: directory.path, into: fromFiles, tracksBatches: true)
        let fromMemory = MemoryMessageStore()
        let b = try StoreRecovery.recover(batches: handed, source: "test", into: fromMemory, tracksBatches: true)
        fromMemory.testsOnly_checkInvariants()

        #expect(records(fromFiles) == records(fromMemory))
        #expect(fromFiles.count == 60 * 20)
        #expect(a.pendingReceipts.map { "\($0.id)/\($0.state)" } == b.pendingReceipts.map { "\($0.id)/\($0.state)" })
        #expect(!a.pendingReceipts.isEmpty)
        #expect(a.pendingMO.map(\.message.id) == b.pendingMO.map(\.message.id))
        #expect(a.pendingMO.count == 30)
        #expect(a.credits["acme"]?.left == b.credits["acme"]?.left)
        #expect(a.lastMessageID == b.lastMessageID && a.lastMOID == b.lastMOID)
        #expect(a.scan.lastSequence == last && b.scan.lastSequence == last && b.scan.batches == Int(last))
        #expect(a.pendingReceiptBatches == b.pendingReceiptBatches && a.pendingMOBatches == b.pendingMOBatches)
        #expect(a.liveRecordBatches == b.liveRecordBatches)
        // Where pending work came from: every receipt was queued in a batch up to the last.
        #expect(b.pendingReceiptBatches.allSatisfy { $0 >= 1 && $0 <= last })
    }

    @Test func aBatchThatDoesNotCheckOutIsRefused() throws {
        let (directory, handed, _) = try journalWithHandBack()
        defer { directory.remove() }
        // One bit flipped in the entries of batch 5: its CRC no longer matches.
        var bad = handed
        bad[4][bad[4].count - 3] ^= 0x10
        #expect(throws: JournalCorruption.self) {
            try StoreRecovery.recover(batches: bad, source: "stream", into: MemoryMessageStore())
        }
        do {
            _ = try StoreRecovery.recover(batches: bad, source: "stream", into: MemoryMessageStore())
        } catch let e as JournalCorruption {
            #expect(e.reason.contains("CRC32C"), "\(e)")
            #expect(e.path == "stream")
        }
        // Cut short, with a trailing byte, out of order, and too short for a header.
        for broken in [Array(handed[1].dropLast()), handed[1] + [0], [] as [UInt8], Array(handed[1].prefix(10))] {
            #expect(throws: JournalCorruption.self) {
                try StoreRecovery.recover(batches: [handed[0], broken], source: "stream", into: MemoryMessageStore())
            }
        }
        #expect(throws: JournalCorruption.self) {
            try StoreRecovery.recover(batches: [handed[1], handed[0]], source: "stream", into: MemoryMessageStore())
        }
        // Incremental: a refused batch changes nothing; the replay goes on from where it was.
        var replay = StoreReplay(into: MemoryMessageStore())
        try replay.apply(batch: handed[0], source: "stream")
        #expect(throws: JournalCorruption.self) { try replay.apply(batch: bad[4], source: "stream") }
        #expect(replay.lastSequence == 1)
        try replay.apply(batch: handed[1], source: "stream")
        #expect(replay.lastSequence == 2)
    }
}
