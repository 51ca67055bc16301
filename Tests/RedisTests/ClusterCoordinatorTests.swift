// ClusterCoordinator against a real redis-server (RedisTestSupport.swift): two or three
// coordinators playing nodes of one cluster on one loop. What each Lua script decides (bind
// slots over every node, lock-outs, credit and token leases, shipping only to a node with a
// receiver), the stream hand-over of deliveries with its acknowledgement, the request/reply
// between nodes, and what an unreachable Redis answers.

import Testing
import Cluster
import Redis
import Reactor

private func node(_ runner: LoopRunner, _ server: RedisServer?, _ n: Int, port: UInt16? = nil,
                  leaseMs: Int64 = 5_000) throws -> ClusterCoordinator {
    var settings = ClusterSettings(node: n, redisHost: "127.0.0.1", redisPort: Int(port ?? server!.port))
    settings.leaseMs = leaseMs
    settings.keyPrefix = "t"
    let c = ClusterCoordinator(loop: runner.loop, settings: settings)
    c.start()
    if server != nil {
        guard runner.run(until: { c.isAvailable }) else { throw TestError("node \(n) not connected: \(c.state)") }
    }
    return c
}

/// Runs the loop until `start` has called back once; returns what it gave.
private func answered<T>(_ runner: LoopRunner, _ start: (@escaping (T) -> Void) -> Void) throws -> T {
    var out: T?
    start { out = $0 }
    guard runner.run(until: { out != nil }), let out else { throw TestError("no answer") }
    return out
}

@Suite(.serialized) struct ClusterCoordinatorTests {
    @Test func bindSlotsCountEveryNodeAndFreeUpWhenReleased() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let a = try node(runner, server, 1), b = try node(runner, server, 2)
        defer { a.stop(); b.stop() }
        let claim = { (c: ClusterCoordinator) in
            try answered(runner) { done in c.claimSession(account: "acme", maxSessions: 2, receiver: false, completion: done) }
        }
        #expect(try claim(a) == .granted)
        #expect(try claim(b) == .granted)
        #expect(try claim(a) == .full)
        #expect(try claim(b) == .full)
        a.sessionsChanged(account: "acme", all: 0, receivers: 0)
        // A's change is on A's connection: one round trip on it orders it before B's claim.
        _ = try answered(runner) { a.checkLockout(ip: "10.0.0.1", completion: $0) }
        #expect(try claim(b) == .granted)
    }

    @Test func aStoppedNodesSlotsExpireWithItsLease() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let a = try node(runner, server, 1, leaseMs: 600), b = try node(runner, server, 2, leaseMs: 600)
        defer { b.stop() }
        var held = 1
        a.sessionCounts = { ["acme": (all: held, receivers: 0)] }
        #expect(try answered(runner) { a.claimSession(account: "acme", maxSessions: 1, receiver: false, completion: $0) } == .granted)
        #expect(try answered(runner) { b.claimSession(account: "acme", maxSessions: 1, receiver: false, completion: $0) } == .full)
        // The heartbeat keeps A's slot while A lives …
        runner.idle(ms: 900)
        #expect(try answered(runner) { b.claimSession(account: "acme", maxSessions: 1, receiver: false, completion: $0) } == .full)
        // … and once A stops refreshing it (killed, cut off), it is gone after the lease.
        a.stop()
        held = 0
        let deadline = monotonicMs() + 3_000
        var result = CoordinatorClaim.full
        while result != .granted && monotonicMs() < deadline {
            result = try answered(runner) { b.claimSession(account: "acme", maxSessions: 1, receiver: false, completion: $0) }
            if result != .granted { runner.idle(ms: 100) }
        }
        #expect(result == .granted)
    }

    @Test func failedBindsLockAnAddressOutOnEveryNode() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let a = try node(runner, server, 1), b = try node(runner, server, 2)
        defer { a.stop(); b.stop() }
        let fail = { (c: ClusterCoordinator) in
            try answered(runner) { c.recordBindFailure(ip: "10.0.0.7", windowMs: 60_000, maxFailures: 3, lockoutMs: 60_000, completion: $0) }
        }
        #expect(try fail(a) == false)
        #expect(try fail(b) == false)
        #expect(try answered(runner) { b.checkLockout(ip: "10.0.0.7", completion: $0) } == .clear)
        #expect(try fail(a) == true)
        #expect(try answered(runner) { b.checkLockout(ip: "10.0.0.7", completion: $0) } == .locked)
        #expect(try answered(runner) { b.checkLockout(ip: "10.0.0.8", completion: $0) } == .clear)
    }

    @Test func creditLeasesNeverGrantMoreThanThePool() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let a = try node(runner, server, 1), b = try node(runner, server, 2)
        defer { a.stop(); b.stop() }
        let lease = { (c: ClusterCoordinator, configured: Int) in
            try answered(runner) { c.lease(account: "metered", configuredCredits: configured, credits: 10, rate: 0, tokens: 0, completion: $0) }
        }
        #expect(try lease(a, 25) == .init(credits: 10, poolLeft: 15, tokens: 0))
        #expect(try lease(b, 25) == .init(credits: 10, poolLeft: 5, tokens: 0))
        #expect(try lease(a, 25) == .init(credits: 5, poolLeft: 0, tokens: 0))
        #expect(try lease(b, 25) == .init(credits: 0, poolLeft: 0, tokens: 0))
        // Credits given back go to the pool they came from …
        try answered(runner) { done in a.returnCredits(account: "metered", configuredCredits: 25, credits: 3) { done(()) } }
        #expect(try lease(b, 25) == .init(credits: 3, poolLeft: 0, tokens: 0))
        // … and a changed configuration starts a new pool, as a reload does on one node.
        #expect(try lease(a, 40) == .init(credits: 10, poolLeft: 30, tokens: 0))
        // Unlimited: no pool at all.
        let unlimited = try answered(runner) { a.lease(account: "free", configuredCredits: nil, credits: 10, rate: 0, tokens: 0, completion: $0) }
        #expect(unlimited == .init(credits: 0, poolLeft: -1, tokens: 0))
    }

    @Test func rateTokensAreOneBucketForEveryNode() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let a = try node(runner, server, 1), b = try node(runner, server, 2)
        defer { a.stop(); b.stop() }
        let take = { (c: ClusterCoordinator) in
            try answered(runner) { c.lease(account: "paced", configuredCredits: nil, credits: 0, rate: 100, tokens: 60, completion: $0) }?.tokens ?? -1
        }
        // A second's burst (100) shared: 60 for A, the 40 left for B, then (almost) nothing.
        #expect(try take(a) == 60)
        let second = try take(b)
        #expect(second >= 40 && second <= 42)
        #expect(try take(a) <= 2)
        // The bucket refills at the rate: after ~300 ms about 30 tokens.
        runner.idle(ms: 300)
        let refilled = try take(b)
        #expect(refilled >= 25 && refilled <= 45)
    }

    @Test func onlyAnotherNodesReceiverCountsAndShippedEntriesAreAcknowledged() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let a = try node(runner, server, 1), b = try node(runner, server, 2)
        defer { a.stop(); b.stop() }
        let remote = { (c: ClusterCoordinator) in try answered(runner) { c.remoteReceivers(account: "acme", completion: $0) } }
        #expect(try remote(a)?.receivers == 0)
        // A receiver on A itself does not count: only another node's.
        #expect(try answered(runner) { a.claimSession(account: "acme", maxSessions: 5, receiver: true, completion: $0) } == .granted)
        #expect(try remote(a)?.receivers == 0)
        #expect(try remote(b)?.receivers == 1)
        var got: [(String, String, [UInt8])] = []
        b.onDeliveries = { got.append(($0, $1, $2)) }
        #expect(try answered(runner) { b.claimSession(account: "acme", maxSessions: 5, receiver: true, completion: $0) } == .granted)
        b.setReceiving(["acme"])
        #expect(try remote(a)?.receivers == 1)
        // Shipped before any group existed: the entry is made with one, and B reads it.
        let packed: [UInt8] = [1, 2, 3, 0, 255]
        #expect(try answered(runner) { a.ship(account: "acme", packed: packed, completion: $0) } == .shipped)
        #expect(try answered(runner) { a.ship(account: "acme", packed: [9], completion: $0) } == .shipped)
        #expect(runner.run(until: { got.count == 2 }))
        #expect(got.map(\.0) == ["acme", "acme"] && got.map(\.2) == [packed, [9]])
        // Entries wait in the stream (the backlog the shipper checks) until acknowledged …
        #expect(try remote(a)?.backlog == 2)
        for entry in got.map(\.1) { b.acknowledge(account: "acme", entry: entry) }
        // … and acknowledged, they are gone from it and from the group's pending list.
        let deadline = monotonicMs() + 3_000
        var backlog = -1
        while backlog != 0 && monotonicMs() < deadline { backlog = try remote(a)?.backlog ?? -1 }
        #expect(backlog == 0)
    }

    @Test func aQuestionReachesTheOwnerAndItsReplyTheAsker() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let a = try node(runner, server, 1), b = try node(runner, server, 2)
        defer { a.stop(); b.stop() }
        var asked: [RemoteRequest] = []
        var replies: [RemoteReply] = []
        b.onRequest = { request in
            asked.append(request)
            b.send(RemoteReply(correlation: request.correlation, status: 0, state: 2, errorCode: 0, finalDate: "261207010203000+"),
                   to: request.from)
        }
        a.onReply = { replies.append($0) }
        let request = RemoteRequest(kind: .query, from: 1, correlation: 77, account: "acme", messageID: "abc123")
        #expect(try answered(runner) { a.send(request, to: 2, completion: $0) })
        #expect(runner.run(until: { replies.count == 1 }))
        #expect(asked == [request])
        #expect(replies.first == RemoteReply(correlation: 77, status: 0, state: 2, errorCode: 0, finalDate: "261207010203000+"))
    }

    @Test func anUnreachableRedisAnswersUnavailableAtOnce() throws {
        let runner = try LoopRunner()
        let c = try node(runner, nil, 1, port: try freePort())
        defer { c.stop() }
        #expect(!c.isAvailable)
        #expect(try answered(runner) { c.claimSession(account: "acme", maxSessions: 2, receiver: false, completion: $0) } == .unavailable)
        #expect(try answered(runner) { c.checkLockout(ip: "10.0.0.1", completion: $0) } == .unavailable)
        #expect(try answered(runner) { c.lease(account: "x", configuredCredits: 5, credits: 5, rate: 0, tokens: 0, completion: $0) } == nil)
        #expect(try answered(runner) { c.ship(account: "x", packed: [1], completion: $0) } == .unavailable)
        #expect(try answered(runner) { c.remoteReceivers(account: "x", completion: $0) } == nil)
    }
}

private typealias CoordinatorClaim = ClusterCoordinator.ClaimResult
