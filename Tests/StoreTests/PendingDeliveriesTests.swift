// PendingDeliveries: store and forward bounded by count and age (C-DLV-4), at-least-once
// with backoff (C-DLV-3), a window per session and requeue on session loss (C-DLV-5, C-SESS-5).
import Testing
import SMPP
@testable import Store

@Suite struct PendingDeliveriesTests {
    typealias Queue = PendingDeliveries<Int>

    func configuration(count: Int = 100, age: Int64 = 3_600_000, attempts: Int = 4) -> PendingDeliveriesConfiguration {
        PendingDeliveriesConfiguration(
            maximumCountPerAccount: count, maximumAgeMillis: age,
            retry: RetryPolicy(initialBackoffMillis: 1_000, maximumBackoffMillis: 5_000, maximumAttempts: attempts))
    }

    @Test func waitsWithoutReceiverAndFlowsInOrderOnceOneBinds_C_DLV_4() {
        let queue = Queue(configuration: configuration())
        for item in 1...5 { _ = queue.enqueue(item, for: "acme", now: Int64(item)) }
        _ = queue.enqueue(99, for: "other", now: 3)
        #expect(queue.count(for: "acme") == 5 && queue.accounts.contains("acme"))
        var taken: [Int] = []
        while let delivery = queue.take(for: "acme", holder: 1, now: 1_000) {
            #expect(delivery.attempt == 1)
            taken.append(delivery.payload)
            #expect(queue.ack(delivery.token))
        }
        #expect(taken == [1, 2, 3, 4, 5])
        #expect(queue.count(for: "acme") == 0 && queue.count == 1)
        #expect(queue.statistics.acknowledged == 5)
        queue.testsOnly_checkInvariants()
    }

    @Test func givenBackItemsWaitAgainWithoutUsingAnAttempt() {
        let queue = Queue(configuration: configuration(attempts: 2))
        for item in 1...3 { _ = queue.enqueue(item, for: "acme", now: 0) }
        // Far more give-backs than attempts allowed: none is dropped, none counts.
        for round in 0..<10 {
            let holder = UInt64(100 + round)
            var taken = 0
            while queue.take(for: "acme", holder: holder, now: 0) != nil { taken += 1 }
            #expect(taken == 3)
            #expect(queue.giveBack(holder: holder) == 3)
        }
        var order: [Int] = []
        while let d = queue.take(for: "acme", holder: 1, now: 0) {
            #expect(d.attempt == 1)
            order.append(d.payload)
        }
        #expect(order == [1, 2, 3])
        #expect(queue.giveBack(holder: 999) == 0)
        queue.testsOnly_checkInvariants()
    }

    @Test func countBoundDropsOldestWaitingAndSaysSo_C_DLV_4() {
        let queue = Queue(configuration: configuration(count: 3))
        for item in 1...3 { _ = queue.enqueue(item, for: "acme", now: 0) }
        guard case .queuedDroppingOldest(_, let dropped) = queue.enqueue(4, for: "acme", now: 1) else {
            Issue.record("overflow not reported")
            return
        }
        #expect(dropped == 1)
        // With every item in flight the newest is the one dropped.
        var inFlight: [Delivery<Int>] = []
        while let delivery = queue.take(for: "acme", holder: 7, now: 2) { inFlight.append(delivery) }
        #expect(inFlight.map(\.payload) == [2, 3, 4])
        guard case .droppedNewest = queue.enqueue(5, for: "acme", now: 3) else {
            Issue.record("overflow of in-flight queue not reported")
            return
        }
        #expect(queue.statistics.droppedOverflow == 2)
        #expect(queue.count(for: "acme") == 3)
        // Other accounts have their own bound.
        guard case .queued = queue.enqueue(1, for: "other", now: 3) else {
            Issue.record("other account refused")
            return
        }
        queue.testsOnly_checkInvariants()
    }

    @Test func ageBoundDropsOldItemsAndHandsThemBack_C_DLV_4() {
        let queue = Queue(configuration: configuration(age: 10_000))
        _ = queue.enqueue(1, for: "acme", now: 0)
        _ = queue.enqueue(2, for: "acme", now: 5_000)
        _ = queue.enqueue(3, for: "other", now: 1_000)
        var dropped: [Int] = []
        #expect(queue.expire(now: 10_000) { payload, _ in dropped.append(payload) } == 0)
        var reasons = Set<DeliveryDropReason>()
        let expired = queue.expire(now: 11_001) { payload, reason in
            reasons.insert(reason)
            dropped.append(payload)
        }
        #expect(expired == 2 && reasons == [.expired])
        #expect(dropped.sorted() == [1, 3])
        #expect(queue.take(for: "acme", holder: 1, now: 11_001)?.payload == 2)
        #expect(queue.statistics.droppedExpired == 2)
        // In flight items are not aged out; they wait for their response or timeout.
        #expect(queue.expire(now: 100_000) == 0)
        queue.testsOnly_checkInvariants()
    }

    @Test func temporaryFailureRetriesWithCappedExponentialBackoffThenGivesUp_C_DLV_3() {
        let queue = Queue(configuration: configuration(attempts: 5))
        _ = queue.enqueue(42, for: "acme", now: 0)
        var now: Int64 = 0
        var waits: [Int64] = []
        for attempt in 1...5 {
            guard let delivery = queue.take(for: "acme", holder: 1, now: now) else {
                Issue.record("not due at attempt \(attempt)")
                return
            }
            #expect(delivery.attempt == attempt)
            switch queue.nack(delivery.token, .temporary, now: now) {
            case .retryAt(let time):
                waits.append(time - now)
                #expect(queue.take(for: "acme", holder: 1, now: time - 1) == nil, "offered before its backoff")
                #expect(queue.nextRetryTime(for: "acme") == time)
                now = time
            case .dropped(let payload, let reason):
                #expect(attempt == 5 && payload == 42 && reason == .attemptsExhausted)
            case .unknownToken:
                Issue.record("token lost")
            }
        }
        #expect(waits == [1_000, 2_000, 4_000, 5_000])
        #expect(queue.count == 0)
        #expect(queue.statistics.retried == 4 && queue.statistics.droppedAttemptsExhausted == 1)
        queue.testsOnly_checkInvariants()
    }

    @Test func permanentErrorEndsIt_C_DLV_3() {
        let queue = Queue(configuration: configuration())
        _ = queue.enqueue(1, for: "acme", now: 0)
        let delivery = queue.take(for: "acme", holder: 1, now: 0)!
        guard case .dropped(1, .rejected) = queue.nack(delivery.token, .permanent, now: 1) else {
            Issue.record("permanent error not final")
            return
        }
        #expect(queue.count == 0 && queue.statistics.droppedRejected == 1)
        #expect(!queue.ack(delivery.token))
        guard case .unknownToken = queue.nack(delivery.token, .temporary, now: 2) else {
            Issue.record("token still known")
            return
        }
    }

    @Test func retryThatWouldOutliveTheAgeLimitIsDropped_C_DLV_4() {
        let queue = Queue(configuration: configuration(age: 1_500))
        _ = queue.enqueue(1, for: "acme", now: 0)
        let first = queue.take(for: "acme", holder: 1, now: 0)!
        guard case .retryAt(1_000) = queue.nack(first.token, .temporary, now: 0) else {
            Issue.record("first retry not scheduled")
            return
        }
        let second = queue.take(for: "acme", holder: 1, now: 1_000)!
        guard case .dropped(1, .expired) = queue.nack(second.token, .temporary, now: 1_000) else {
            Issue.record("retry past the age limit kept")
            return
        }
    }

    @Test func sessionLossRequeuesItsWindowForAnotherSession_C_SESS_5_C_DLV_5() {
        let queue = Queue(configuration: configuration())
        for item in 1...6 { _ = queue.enqueue(item, for: "acme", now: 0) }
        let window = 4
        var first: [Delivery<Int>] = []
        while first.count < window, let delivery = queue.take(for: "acme", holder: 1, now: 10) { first.append(delivery) }
        #expect(queue.inFlightCount(holder: 1) == 4)
        #expect(queue.ack(first[1].token))
        #expect(queue.requeue(holder: 1, now: 20) == 3)
        #expect(queue.inFlightCount(holder: 1) == 0)
        // A late response on the dead session's token changes nothing.
        #expect(!queue.ack(first[0].token))
        var second: [Int] = []
        while let delivery = queue.take(for: "acme", holder: 2, now: 20) {
            second.append(delivery.payload)
            #expect(delivery.attempt == (delivery.payload <= 4 ? 2 : 1))
            queue.ack(delivery.token)
        }
        #expect(second == [1, 3, 4, 5, 6])   // oldest first, nothing lost, 2 not repeated
        #expect(queue.statistics.requeued == 3 && queue.count == 0)
        queue.testsOnly_checkInvariants()
    }

    @Test func sessionLossCountsAsAnAttempt_C_DLV_3() {
        let queue = Queue(configuration: configuration(attempts: 2))
        _ = queue.enqueue(1, for: "acme", now: 0)
        _ = queue.take(for: "acme", holder: 1, now: 0)
        #expect(queue.requeue(holder: 1, now: 1) == 1)
        _ = queue.take(for: "acme", holder: 2, now: 1)
        var dropped: [(Int, DeliveryDropReason)] = []
        #expect(queue.requeue(holder: 2, now: 2) { dropped.append(($0, $1)) } == 0)
        #expect(dropped.count == 1 && dropped[0].0 == 1 && dropped[0].1 == .attemptsExhausted)
        #expect(queue.count == 0)
    }

    @Test func retriesDueGoFirstAndOthersAreNotBlockedMeanwhile_C_DLV_3() {
        let queue = Queue(configuration: configuration())
        _ = queue.enqueue(1, for: "acme", now: 0)
        _ = queue.enqueue(2, for: "acme", now: 0)
        let first = queue.take(for: "acme", holder: 1, now: 0)!
        _ = queue.nack(first.token, .temporary, now: 0)
        #expect(queue.hasDue(for: "acme", now: 0))
        #expect(queue.take(for: "acme", holder: 1, now: 0)?.payload == 2)   // 1 is backing off
        #expect(!queue.hasDue(for: "acme", now: 999) && queue.hasDue(for: "acme", now: 1_000))
        #expect(queue.take(for: "acme", holder: 1, now: 1_000)?.payload == 1)
    }

    @Test func backoffIsExponentialAndCapped() {
        let policy = RetryPolicy(initialBackoffMillis: 1_000, maximumBackoffMillis: 60_000, maximumAttempts: 100)
        #expect((1...8).map(policy.backoffMillis(afterAttempt:)) == [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000])
        #expect(policy.backoffMillis(afterAttempt: 99) == 60_000)
        #expect(policy.backoffMillis(afterAttempt: 1_000) == 60_000)
    }
}
