// RedisClient with RedisEndpoint.sentinel against real redis-sentinel processes
// (SentinelTestSupport.swift): discovery, a kill -9 of the primary followed by a failover, a
// dead sentinel first in the list, a master name no sentinel knows, a sentinel that names a
// replica. Each test has its own processes and loop and waits on real events.

import Testing
import Redis
import Reactor
#if canImport(Glibc)
import Glibc
#endif

private let fast = RedisOptions(connectTimeout: .milliseconds(500), commandTimeout: .milliseconds(1_000),
                                reconnectMin: .milliseconds(50), reconnectMax: .milliseconds(500))

private func call(_ runner: LoopRunner, _ client: RedisClient, _ arguments: [RedisArgument]) throws -> RedisResult {
    var result: RedisResult?
    client.send(arguments) { result = $0 }
    guard runner.run(until: { result != nil }), let result else { throw TestError("no answer to \(arguments)") }
    return result
}

@Suite(.serialized) struct SentinelClientTests {

    @Test func followsTheSentinelsToThePromotedReplicaAfterThePrimaryIsKilled() throws {
        let topology = try SentinelTopology()
        let runner = try LoopRunner()
        let client = RedisClient(loop: runner.loop,
                                 endpoint: .sentinel(sentinels: topology.addresses, master: SentinelTopology.master), options: fast)
        client.start()
        defer { client.stop() }
        guard runner.run(until: { client.state == .connected }) else { throw TestError("not connected: \(client.state)") }
        #expect(client.port == Int(topology.primary.port))
        #expect(try call(runner, client, ["SET", "before", "1"]) == .success(.status("OK")))
        #expect(try call(runner, client, ["WAIT", "1", "2000"]) == .success(.integer(1)))

        var states: [RedisConnectionState] = []
        client.onStateChange = { states.append($0) }
        let killedAt = monotonicMs()
        topology.primary.kill(SIGKILL)
        let back = runner.run(timeoutMs: 20_000) { client.state == .connected && client.port == Int(topology.replica.port) }
        let tookMs = monotonicMs() - killedAt
        #expect(back, "not back on the promoted replica: \(client.state), \(client.host):\(client.port)")
        print("sentinel failover: connected to the promoted replica \(tookMs) ms after kill -9 of the primary")
        // It lost the connection at once, and never said connected before the promotion.
        #expect(states.first.map { if case .disconnected = $0 { true } else { false } } == true, "\(states)")
        #expect(states.filter { $0 == .connected }.count == 1, "\(states)")
        #expect(try call(runner, client, ["GET", "before"]) == .success(.bulk(Array("1".utf8))))
        #expect(try call(runner, client, ["SET", "after", "2"]) == .success(.status("OK")))
        // The client followed the sentinel that led the failover; the others learn the new
        // configuration from its hello messages (every 2 s), so their agreement is waited for.
        try waitUntil(timeoutMs: 10_000, "every sentinel naming the promoted replica") {
            topology.sentinels.allSatisfy { topology.namedPrimary($0) == Int(topology.replica.port) }
        }
    }

    @Test func aDeadSentinelFirstInTheListIsSkipped() throws {
        let topology = try SentinelTopology()
        let runner = try LoopRunner()
        let dead = Endpoint(host: "127.0.0.1", port: try freePort())
        let client = RedisClient(loop: runner.loop,
                                 endpoint: .sentinel(sentinels: [dead] + topology.addresses, master: SentinelTopology.master),
                                 options: fast)
        client.start()
        defer { client.stop() }
        guard runner.run(until: { client.state == .connected }) else { throw TestError("not connected: \(client.state)") }
        #expect(client.port == Int(topology.primary.port))
        #expect(try call(runner, client, ["PING"]) == .success(.status("PONG")))
        // The sentinel that answered is asked first from now on: a reconnect does not wait on the dead one.
        _ = blockingCommand(port: topology.primary.port, ["CLIENT", "KILL", "TYPE", "normal"])
        guard runner.run(until: { client.state != .connected }),
              runner.run(until: { client.state == .connected }) else { throw TestError("no reconnect: \(client.state)") }
        #expect(try call(runner, client, ["PING"]) == .success(.status("PONG")))
    }

    @Test func aMasterNameNoSentinelKnowsKeepsRetryingAndSaysWhy() throws {
        let primary = try RedisServer()
        let sentinel = try SentinelProcess(monitors: [("mymaster", primary.port, 1)])
        let runner = try LoopRunner()
        let client = RedisClient(loop: runner.loop,
                                 endpoint: .sentinel(sentinels: [Endpoint(host: "127.0.0.1", port: sentinel.port)], master: "nosuch"),
                                 options: fast)
        var attempts = 0
        var reasons: [String] = []
        client.onStateChange = {
            switch $0 {
            case .connecting: attempts += 1
            case .disconnected(let why): reasons.append(why)
            case .connected: reasons.append("connected")
            }
        }
        client.start()
        defer { client.stop() }
        runner.run(timeoutMs: 3_000) { attempts >= 3 }
        #expect(attempts >= 3, "it does not keep trying: \(attempts) attempts")
        #expect(!reasons.contains("connected"))
        guard let why = reasons.last else {
            Issue.record("no reason given")
            return
        }
        #expect(why.contains("does not know a master named \"nosuch\""), "\(why)")
        #expect(why.contains("127.0.0.1:\(sentinel.port)"), "\(why)")
        var refused: RedisResult?
        client.send(["PING"]) { refused = $0 }
        #expect(refused == .failure(.notConnected))   // while it looks: refused at once, not queued
    }

    @Test func aServerThatIsNotThePrimaryIsNotUsed() throws {
        // A sentinel told that the replica is the master of "wrong": ROLE says otherwise.
        let primary = try RedisServer()
        let replica = try RedisServer(extraArguments: ["--replicaof", "127.0.0.1", String(primary.port)])
        let sentinel = try SentinelProcess(monitors: [("wrong", replica.port, 1)])
        let runner = try LoopRunner()
        let client = RedisClient(loop: runner.loop,
                                 endpoint: .sentinel(sentinels: [Endpoint(host: "127.0.0.1", port: sentinel.port)], master: "wrong"),
                                 options: fast)
        client.start()
        defer { client.stop() }
        let said = runner.run(timeoutMs: 3_000) {
            if case .disconnected(let why) = client.state { why.contains("is not the primary (ROLE: slave)") } else { false }
        }
        #expect(said, "\(client.state)")
        runner.idle(ms: 300)
        #expect(client.state != .connected)
    }
}
