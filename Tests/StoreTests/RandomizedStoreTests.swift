// Seeded random operation sequences against the store and the delivery queue, checking the
// invariants after every step (C-MGT-1, C-MGT-2, C-SUB-7, C-DATA-2, C-DLV-3, C-DLV-4).
import Testing
import SMPP
@testable import Store

@Suite struct RandomizedStoreTests {
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func storeKeepsItsInvariantsUnderRandomOperations(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let store = MemoryMessageStore(configuration: MessageStoreConfiguration(capacity: 64, maximumValidityMillis: 30_000))
        var generator = MessageIDGenerator(startUnixMillis: testNow)
        let accounts: [ShortBytes] = ["acme", "rival", "third"]
        var owner: [MessageID: ShortBytes] = [:]
        var known: [MessageID: MessageState] = [:]     // last state this test saw
        var cancelled = Set<MessageID>(), delivered = Set<MessageID>()
        var now = testNow
        for _ in 0..<4_000 {
            now += Int64.random(in: 0...400, using: &random)
            let pick = owner.keys.randomElement(using: &random)
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<30:
                let id = generator.next()
                let account = accounts.randomElement(using: &random)!
                let validity: Int64? = Bool.random(using: &random) ? now + Int64.random(in: 0...20_000, using: &random) : nil
                let hold: Int64 = Bool.random(using: &random) ? now + Int64.random(in: 0...5_000, using: &random) : .max
                switch store.insert(makeRecord(id, account: account, at: now, validity: validity, forwardDeadline: hold)) {
                case .inserted: owner[id] = account; known[id] = .enroute
                case .full: #expect(store.count == 64 && store.liveCount == 64)
                case .duplicateID: Issue.record("generator repeated \(id)")
                }
            case 30..<45:
                guard let id = pick else { continue }
                let account = Bool.random(using: &random) ? owner[id]! : accounts.randomElement(using: &random)!
                let result = store.cancel(id, systemID: account, now: now, carrierHasTaken: false)
                if account != owner[id]! { #expect(result == .notFound) }
                if case .cancelled = result {
                    #expect(!delivered.contains(id))
                    cancelled.insert(id)
                    known[id] = .deleted
                }
            case 45..<60:
                guard let id = pick else { continue }
                if case .final(let state) = store.markForwarded(id, now: now) { #expect(state.isFinal) }
            case 60..<85:
                guard let id = pick else { continue }
                let outcome = [MessageState.delivered, .undeliverable, .rejected, .expired, .unknown, .accepted, .enroute]
                    .randomElement(using: &random)!
                switch store.finish(id, state: outcome, errorCode: UInt16.random(in: 0...999, using: &random), now: now) {
                case .finished(let record), .updated(let record):
                    #expect(!cancelled.contains(id))
                    #expect(record.isForwarded)
                    if record.state == .delivered { delivered.insert(id) }
                    known[id] = record.state
                case .refused(.final(let state)): #expect(known[id]?.isFinal == true || state.isFinal)
                default: break
                }
            case 85..<93:
                _ = store.expire(now: now, limit: Int.random(in: 1...10, using: &random)) { record in
                    #expect(record.state == .expired && record.validityDeadline! <= now)
                    known[record.id] = .expired
                }
            default:
                _ = store.purge(olderThan: now - Int64.random(in: 0...20_000, using: &random), limit: 8)
            }
            store.testsOnly_checkInvariants()
            // Everything this test knows about is either there, or was final when it left.
            for (id, account) in owner {
                if let record = store.lookup(id, systemID: account) {
                    if cancelled.contains(id) { #expect(record.state == .deleted) }
                    if delivered.contains(id) { #expect(record.state == .delivered) }
                    for other in accounts where other != account { #expect(store.lookup(id, systemID: other) == nil) }
                    known[id] = record.state
                } else {
                    #expect(known[id]?.isFinal == true, "live record \(id) vanished")
                    owner[id] = nil
                }
            }
        }
        #expect(cancelled.isDisjoint(with: delivered))
        #expect(store.statistics.inserted > 0)
    }

    @Test(arguments: [11, 12, 13, 14, 15, 16] as [UInt64])
    func deliveryQueueLosesNothingSilently(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let queue = PendingDeliveries<Int>(configuration: PendingDeliveriesConfiguration(
            maximumCountPerAccount: 20, maximumAgeMillis: 60_000,
            retry: RetryPolicy(initialBackoffMillis: 100, maximumBackoffMillis: 2_000, maximumAttempts: 4)))
        let accounts: [ShortBytes] = ["acme", "rival"]
        var now: Int64 = 0
        var nextPayload = 0
        var inFlight: [UInt64: [Delivery<Int>]] = [:]   // per session, as the session layer keeps its window
        var acked = Set<Int>(), dropped = Set<Int>()
        func drop(_ payload: Int) { #expect(dropped.insert(payload).inserted && !acked.contains(payload)) }
        for _ in 0..<5_000 {
            now += Int64.random(in: 0...300, using: &random)
            let session = UInt64.random(in: 1...4, using: &random)
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<30:
                nextPayload += 1
                switch queue.enqueue(nextPayload, for: accounts.randomElement(using: &random)!, now: now) {
                case .queued: break
                case .queuedDroppingOldest(_, let old): drop(old)
                case .droppedNewest: drop(nextPayload)
                }
            case 30..<55:
                guard inFlight[session, default: []].count < 5,
                      let delivery = queue.take(for: accounts.randomElement(using: &random)!, holder: session, now: now) else { continue }
                #expect(!acked.contains(delivery.payload) && !dropped.contains(delivery.payload))
                inFlight[session, default: []].append(delivery)
            case 55..<75:
                guard let delivery = inFlight[session]?.popLast() else { continue }
                #expect(queue.ack(delivery.token))
                #expect(acked.insert(delivery.payload).inserted)
            case 75..<88:
                guard let delivery = inFlight[session]?.popLast() else { continue }
                let failure: DeliveryFailure = Int.random(in: 0..<5, using: &random) == 0 ? .permanent : .temporary
                switch queue.nack(delivery.token, failure, now: now) {
                case .retryAt(let time): #expect(time > now)
                case .dropped(let payload, _): drop(payload)
                case .unknownToken: Issue.record("in-flight token unknown")
                }
            case 88..<94:
                queue.requeue(holder: session, now: now) { payload, _ in drop(payload) }
                inFlight[session] = nil
            default:
                queue.expire(now: now) { payload, _ in drop(payload) }
            }
            queue.testsOnly_checkInvariants()
            for account in accounts { #expect(queue.count(for: account) <= 20) }
            let statistics = queue.statistics
            #expect(statistics.acknowledged == acked.count)
            #expect(statistics.droppedOverflow + statistics.droppedExpired + statistics.droppedAttemptsExhausted
                    + statistics.droppedRejected == dropped.count)
            // Conservation: every payload ever queued is acknowledged, dropped (and reported), or still held.
            #expect(nextPayload == acked.count + dropped.count + queue.count)
        }
        #expect(acked.count > 0 && dropped.count > 0)
    }
}
