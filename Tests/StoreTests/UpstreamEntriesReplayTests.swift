// Recovery of the forwarding's journal entries (issue 12): the body of a message routed
// upstream (`outbound`) stays pending until a carrier accepted it (`handedUp`), whose id then
// stays known until the record is final; neither is reported for a final record.
import Testing
import SMPP
import Journal
@testable import Store

@Suite struct UpstreamEntriesReplayTests {
    @Test func outboundUntilHandedUpAndMappingUntilFinal() throws {
        let directory = JournalDirectory()
        defer { directory.remove() }
        let store = MemoryMessageStore(configuration: MessageStoreConfiguration(capacity: 100, maximumValidityMillis: 60_000))
        let writer = JournalWriter(configuration: JournalConfiguration(directory: directory.path, fsync: .never, segmentBytes: 1 << 20),
                                   notify: {})
        try writer.start(firstSequence: 1)
        let journal = StoreJournal(writer: writer, nextSequence: 1)
        func record(_ n: UInt64) -> MessageRecord {
            MessageRecord(id: MessageID(rawValue: n), systemID: "acme", source: StoredAddress("12025550100"),
                          destination: StoredAddress(ShortBytes(truncating: "447700900\(n)".utf8)), submitTime: testNow, forwardDeadline: testNow)
        }
        // 1: only accepted by us. 2: handed up. 3: handed up, then final. 4: outbound, final
        // without a carrier's answer (expired). 5: body written twice (compaction), pending.
        for n: UInt64 in 1...5 {
            let r = record(n)
            #expect(store.insert(r) == .inserted)
            journal.insert(r)
            let body: [UInt8] = Array("body-\(n)".utf8)
            journal.outbound(r.id, length: body.count) { $0.append(contentsOf: body) }
        }
        journal.seal(force: true)
        let longID = String(repeating: "u", count: 300)   // past a u8 length: the entry's is u16
        journal.handedUp(MessageID(rawValue: 2), carrier: "up-a", upstreamID: longID)
        journal.handedUp(MessageID(rawValue: 3), carrier: "up-b", upstreamID: String(repeating: "x", count: 40))
        for n: UInt64 in [3, 4] {
            guard case .finished(let r) = store.finish(MessageID(rawValue: n), state: n == 3 ? .delivered : .expired, errorCode: 0, now: testNow + 5)
            else { Issue.record("finish \(n)"); continue }
            journal.status(of: r, receiptQueued: false)
        }
        journal.outbound(MessageID(rawValue: 5), length: 6) { $0.append(contentsOf: Array("body-5".utf8)) }
        let last = journal.seal(force: true)!
        #expect(writer.waitUntilDurable(last, timeout: .seconds(30)))
        writer.stop()

        let fresh = MemoryMessageStore(configuration: store.configuration)
        let recovered = try StoreRecovery.recover(directory: directory.path, into: fresh)
        #expect(recovered.pendingOutbound.map { $0.id.rawValue } == [1, 5])
        #expect(recovered.pendingOutbound.map { String(decoding: $0.body, as: UTF8.self) } == ["body-1", "body-5"])
        #expect(recovered.upstreamMappings.count == 1)
        #expect(recovered.upstreamMappings.first.map { "\($0.id.rawValue) \($0.carrier) \($0.upstreamID)" } == "2 up-a \(longID)")
        #expect(fresh.record(MessageID(rawValue: 3))?.state == .delivered)
    }
}
