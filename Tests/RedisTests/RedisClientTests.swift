// RedisClient against a real redis-server (RedisTestSupport.swift): replies of every kind,
// binary safety, pipelining, the EVALSHA → EVAL fallback, deadlines, a killed server, stop()
// from a completion, a port with nothing listening. Each test has its own server and loop and
// waits on real events with bounded deadlines.

import Testing
import Redis
import Reactor
#if canImport(Glibc)
import Glibc
#endif

typealias RedisResult = Result<RedisReply, RedisFailure>

/// A started client, connected (or the test fails).
private func connectedClient(_ runner: LoopRunner, _ server: RedisServer, options: RedisOptions = .init()) throws -> RedisClient {
    let client = RedisClient(loop: runner.loop, host: "127.0.0.1", port: Int(server.port), options: options)
    client.start()
    guard runner.run(until: { client.state == .connected }) else {
        throw TestError("not connected: \(client.state)")
    }
    return client
}

/// Sends one command and runs the loop until its completion ran.
@discardableResult
private func call(_ runner: LoopRunner, _ client: RedisClient, _ arguments: [RedisArgument],
                  timeout: Duration? = nil) throws -> RedisResult {
    var result: RedisResult?
    client.send(arguments, timeout: timeout) { result = $0 }
    guard runner.run(until: { result != nil }), let result else { throw TestError("no answer to \(arguments)") }
    return result
}

private func evalCall(_ runner: LoopRunner, _ client: RedisClient, _ script: RedisScript,
                      keys: [RedisArgument], arguments: [RedisArgument]) throws -> RedisResult {
    var result: RedisResult?
    client.eval(script, keys: keys, arguments: arguments) { result = $0 }
    guard runner.run(until: { result != nil }), let result else { throw TestError("no answer to eval") }
    return result
}

/// `calls=N` of `cmdstat_<name>` in INFO commandstats (0 when absent).
private func commandCalls(_ runner: LoopRunner, _ client: RedisClient, _ name: String) throws -> Int {
    guard case .success(.bulk(let bytes)) = try call(runner, client, ["INFO", "commandstats"]) else { return -1 }
    for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
    where line.hasPrefix("cmdstat_\(name):calls=") {
        return Int(line.dropFirst("cmdstat_\(name):calls=".count).prefix { $0.isNumber }) ?? -1
    }
    return 0
}

@Suite(.serialized) struct RedisClientTests {

    @Test func setAndGetAreBinarySafe() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let client = try connectedClient(runner, server)
        defer { client.stop() }

        let every: [UInt8] = [0, 0, 13, 10] + (0...255).map { UInt8($0) } + [0x80, 0xFF, 0]
        #expect(try call(runner, client, ["SET", RedisArgument([0x6B, 0, 0xFF]), RedisArgument(every)]) == .success(.status("OK")))
        #expect(try call(runner, client, ["GET", RedisArgument([0x6B, 0, 0xFF])]) == .success(.bulk(every)))

        var big = [UInt8](repeating: 0, count: 1 << 20)
        for i in big.indices { big[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        #expect(try call(runner, client, ["SET", "big", RedisArgument(big)]) == .success(.status("OK")))
        #expect(try call(runner, client, ["STRLEN", "big"]) == .success(.integer(1 << 20)))
        #expect(try call(runner, client, ["GET", "big"]) == .success(.bulk(big)))
        #expect(try call(runner, client, ["SET", "empty", ""]) == .success(.status("OK")))
        #expect(try call(runner, client, ["GET", "empty"]) == .success(.bulk([])))
    }

    @Test func repliesOfEveryKind() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let client = try connectedClient(runner, server)
        defer { client.stop() }

        #expect(try call(runner, client, ["PING"]) == .success(.status("PONG")))
        #expect(try call(runner, client, ["INCRBY", "n", RedisArgument(Int64(-5))]) == .success(.integer(-5)))
        #expect(try call(runner, client, ["INCRBY", "n", RedisArgument(UInt64(7))]) == .success(.integer(2)))
        #expect(try call(runner, client, ["GET", "missing"]) == .success(.null))
        guard case .success(.error(let message)) = try call(runner, client, ["NOSUCHCOMMAND", "x"]) else {
            Issue.record("an unknown command is not an error reply")
            return
        }
        #expect(message.hasPrefix("ERR unknown command"))
        // An error reply leaves the connection usable.
        #expect(try call(runner, client, ["PING"]) == .success(.status("PONG")))

        #expect(try call(runner, client, ["HSET", "h", "a", "1", "b", "2"]) == .success(.integer(2)))
        guard case .success(.array(let fields)) = try call(runner, client, ["HGETALL", "h"]) else {
            Issue.record("HGETALL is not an array")
            return
        }
        #expect(Set(fields.compactMap(\.text)) == ["a", "1", "b", "2"] && fields.count == 4)

        #expect(try call(runner, client, ["XADD", "s", "1-1", "f", "v", "g", RedisArgument([0, 1])]) == .success(.bulk(Array("1-1".utf8))))
        let entry = RedisReply.array([.bulk(Array("1-1".utf8)),
                                      .array([.bulk(Array("f".utf8)), .bulk(Array("v".utf8)), .bulk(Array("g".utf8)), .bulk([0, 1])])])
        #expect(try call(runner, client, ["XRANGE", "s", "-", "+"]) == .success(.array([entry])))
        #expect(try call(runner, client, ["XRANGE", "s", "5", "+"]) == .success(.array([])))

        let table = RedisScript(source: "return {1, 'two', {3, 'x'}, redis.status_reply('OK'), redis.error_reply('E1 no')}")
        #expect(try evalCall(runner, client, table, keys: [], arguments: []) ==
                .success(.array([.integer(1), .bulk(Array("two".utf8)), .array([.integer(3), .bulk(Array("x".utf8))]),
                                 .status("OK"), .error("E1 no")])))
        let falsy = RedisScript(source: "return false")
        #expect(try evalCall(runner, client, falsy, keys: [], arguments: []) == .success(.null))
    }

    @Test func tenThousandPipelinedINCRsAreAnsweredInOrder() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let client = try connectedClient(runner, server)
        defer { client.stop() }

        let total = 10_000
        var answers: [Int64] = []
        answers.reserveCapacity(total)
        var failures = 0
        for _ in 0..<total {
            client.send(["INCR", "counter"]) { result in
                if case .success(.integer(let n)) = result { answers.append(n) } else { failures += 1 }
            }
        }
        #expect(client.pendingCount == total)
        #expect(runner.run(timeoutMs: 20_000) { answers.count + failures == total })
        #expect(failures == 0)
        #expect(answers == (1...Int64(total)).map { $0 })
        #expect(client.pendingCount == 0)
    }

    @Test func evalshaFallsBackToEvalAfterScriptFlush() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let client = try connectedClient(runner, server)
        defer { client.stop() }

        let script = RedisScript(source: "return redis.call('INCRBY', KEYS[1], ARGV[1]) + #KEYS")
        // Our SHA-1 is the one Redis computes.
        #expect(try call(runner, client, ["SCRIPT", "LOAD", RedisArgument(script.source)]) == .success(.bulk(Array(script.sha1.utf8))))
        #expect(try call(runner, client, ["SCRIPT", "FLUSH"]) == .success(.status("OK")))

        // Not cached: EVALSHA answers NOSCRIPT, EVAL runs it (and caches it).
        #expect(try evalCall(runner, client, script, keys: ["k"], arguments: [10]) == .success(.integer(11)))
        #expect(try commandCalls(runner, client, "evalsha") == 1)
        #expect(try commandCalls(runner, client, "eval") == 1)
        // Cached: EVALSHA only.
        #expect(try evalCall(runner, client, script, keys: ["k"], arguments: [1]) == .success(.integer(12)))
        #expect(try commandCalls(runner, client, "evalsha") == 2)
        #expect(try commandCalls(runner, client, "eval") == 1)
        // Flushed again: the fallback again.
        #expect(try call(runner, client, ["SCRIPT", "FLUSH"]) == .success(.status("OK")))
        #expect(try evalCall(runner, client, script, keys: ["k"], arguments: [1]) == .success(.integer(13)))
        #expect(try commandCalls(runner, client, "evalsha") == 3)
        #expect(try commandCalls(runner, client, "eval") == 2)
        // A script's own error is a reply, not a fallback.
        let failing = RedisScript(source: "return redis.error_reply('NOPE failing')")
        #expect(try evalCall(runner, client, failing, keys: [], arguments: []) == .success(.error("NOPE failing")))
    }

    @Test func aLateCommandTimesOutEveryPendingOneAndTheClientReconnects() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let client = try connectedClient(runner, server)
        defer { client.stop() }
        var states: [RedisConnectionState] = []
        client.onStateChange = { states.append($0) }

        var slow: RedisResult?, behind: RedisResult?
        let sent = monotonicMs()
        var slowAt: Int64 = 0
        client.send(["DEBUG", "SLEEP", "1"], timeout: .milliseconds(200)) { slow = $0; slowAt = monotonicMs() }
        client.send(["PING"]) { behind = $0 }   // its own deadline is 2 s; the connection's is 200 ms
        #expect(runner.run { slow != nil && behind != nil })
        #expect(slow == .failure(.timeout))
        #expect(behind == .failure(.timeout))
        #expect(slowAt - sent >= 190 && slowAt - sent < 800, "timed out after \(slowAt - sent) ms")
        #expect(states.first == .disconnected("command timeout"))

        // Reconnects by itself; the next command works once the server is awake again.
        #expect(runner.run { client.state == .connected })
        #expect(states.starts(with: [.disconnected("command timeout"), .connecting, .connected]))
        #expect(try call(runner, client, ["PING"]) == .success(.status("PONG")))
    }

    @Test func aKilledServerFailsEveryPendingCommandOnceAndTheClientReconnectsToItsReturn() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let client = try connectedClient(runner, server, options: .init(reconnectMin: .milliseconds(20), reconnectMax: .milliseconds(200)))
        defer { client.stop() }
        var states: [RedisConnectionState] = []
        client.onStateChange = { states.append($0) }

        // Some answered, then a pipeline the sleeping server holds when it dies.
        var answered = 0
        for _ in 0..<100 { client.send(["INCR", "x"]) { if case .success = $0 { answered += 1 } } }
        #expect(runner.run { answered == 100 })
        let total = 2_000
        var calls = [Int](repeating: 0, count: total)
        var results = [RedisResult?](repeating: nil, count: total)
        client.send(["DEBUG", "SLEEP", "5"], timeout: .seconds(10)) { _ in }
        for i in 0..<total {
            client.send(["INCR", "x"], timeout: .seconds(10)) { calls[i] += 1; results[i] = $0 }
        }
        #expect(client.pendingCount == total + 1)
        // Kill it once the server holds the pipeline (its sleep has begun: a new connection's
        // PING is not answered), from the loop.
        var killed = false
        let killer = LoopTimer(loop: runner.loop) { server.kill(SIGKILL); killed = true }
        killer.schedule(after: .milliseconds(100))
        #expect(runner.run { killed && client.pendingCount == 0 })
        #expect(calls.allSatisfy { $0 == 1 })
        guard case .disconnected(let reason) = client.state else {
            Issue.record("state \(client.state) after the kill")
            return
        }
        #expect(results.allSatisfy { $0 == .failure(.disconnected(reason)) })
        #expect(states.first == .disconnected(reason))

        // Keeps trying while the server is away…
        #expect(runner.run { states.filter { $0 == .connecting }.count >= 2 })
        #expect(client.send0IsRefused())
        // …and connects again by itself once it is back on the same port.
        try server.start()
        #expect(runner.run { client.state == .connected })
        #expect(states.starts(with: [.disconnected(reason), .connecting]))
        #expect(states.last == .connected)
        #expect(try call(runner, client, ["PING"]) == .success(.status("PONG")))
        // Nothing fired twice meanwhile.
        #expect(calls.allSatisfy { $0 == 1 })
    }

    @Test func sendWhileNotConnectedCompletesAtOnceWithNotConnected() throws {
        let runner = try LoopRunner()
        let port = try freePort()
        let client = RedisClient(loop: runner.loop, host: "127.0.0.1", port: Int(port))
        #expect(client.state == .disconnected("not started"))
        var result: RedisResult?
        client.send(["PING"]) { result = $0 }
        #expect(result == .failure(.notConnected))   // before send returned
        #expect(client.pendingCount == 0)

        client.start()
        #expect(client.state == .connecting)
        result = nil
        client.send(["PING"]) { result = $0 }
        #expect(result == .failure(.notConnected))
        client.stop()
        #expect(client.state == .disconnected("stopped"))
    }

    @Test func stopFromInsideACompletionFailsTheRestBeforeItReturns() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let client = try connectedClient(runner, server)
        var states: [RedisConnectionState] = []
        client.onStateChange = { states.append($0) }

        let total = 100
        var results = [[RedisResult]](repeating: [], count: total)
        var stopReturned = false
        var calledAfterStop = 0
        for i in 0..<total {
            client.send(["INCR", "n"]) { result in
                if stopReturned { calledAfterStop += 1 }
                results[i].append(result)
                if i == 10 {
                    client.stop()
                    stopReturned = true
                    // And the client is usable for a refusal straight away.
                    client.send(["PING"]) { if $0 == .failure(.notConnected) { results[i].append($0) } }
                }
            }
        }
        #expect(runner.run { stopReturned })
        #expect(calledAfterStop == 0)
        for i in 0..<10 { #expect(results[i] == [.success(.integer(Int64(i + 1)))]) }
        #expect(results[10] == [.success(.integer(11)), .failure(.notConnected)])
        for i in 11..<total { #expect(results[i] == [.failure(.disconnected("stopped"))]) }
        #expect(client.state == .disconnected("stopped"))
        #expect(states == [.disconnected("stopped")])
        // No reconnect, no late callback.
        runner.idle(ms: 300)
        #expect(calledAfterStop == 0)
        #expect(states == [.disconnected("stopped")])
        #expect(results.allSatisfy { $0.count == 1 || $0.count == 2 })
        // The server saw only what was sent before the stop took effect, and the client restarts.
        client.start()
        #expect(runner.run { client.state == .connected })
        guard case .success(.integer(let n)) = try call(runner, client, ["INCR", "n"]) else {
            Issue.record("INCR after restart failed")
            return
        }
        #expect(n >= 12 && n <= Int64(total) + 1)
        client.stop()
    }

    @Test func stopFromTheStateCallbackWhenConnected() throws {
        let server = try RedisServer()
        let runner = try LoopRunner()
        let client = RedisClient(loop: runner.loop, host: "127.0.0.1", port: Int(server.port))
        var states: [RedisConnectionState] = []
        var refused: RedisResult?
        client.onStateChange = { state in
            states.append(state)
            if state == .connected {
                client.send(["PING"]) { refused = $0 }   // sent, then failed by the stop below
                client.stop()
            }
        }
        client.start()
        #expect(runner.run { states.count >= 3 })
        #expect(states == [.connecting, .connected, .disconnected("stopped")])
        #expect(refused == .failure(.disconnected("stopped")))
        runner.idle(ms: 200)
        #expect(states.count == 3)
        client.onStateChange = nil   // it captures the client
    }

    @Test func nothingListeningKeepsRetryingWithBackoff() throws {
        let runner = try LoopRunner()
        let port = try freePort()
        let client = RedisClient(loop: runner.loop, host: "127.0.0.1", port: Int(port),
                                 options: .init(reconnectMin: .milliseconds(40), reconnectMax: .milliseconds(320)))
        var attempts: [Int64] = []
        var reasons: Set<String> = []
        client.onStateChange = { state in
            switch state {
            case .connecting: attempts.append(monotonicMs())
            case .disconnected(let why): reasons.insert(why)
            case .connected: Issue.record("connected to nothing")
            }
        }
        client.start()
        #expect(runner.run(timeoutMs: 10_000) { attempts.count >= 7 })
        client.stop()
        #expect(reasons.contains("Connection refused"))
        let gaps = zip(attempts.dropFirst(), attempts).map { $0 - $1 }
        // 40, 80, 160, 320, 320, 320 ms, each up to +25 % (at most the maximum): doubling, then
        // capped. A timer never fires early, so the lower bounds are exact; a busy machine only
        // lengthens gaps, so the upper bounds sit far from the nominal values: a first delay of
        // the maximum would be ≥ 320, an uncapped fifth ≥ 640.
        #expect(gaps[0] >= 35 && gaps[0] < 300, "gaps \(gaps)")
        #expect(gaps[1] >= 75 && gaps[2] >= 155 && gaps[3] >= 300, "gaps \(gaps)")
        #expect(gaps.allSatisfy { $0 < 640 }, "gaps \(gaps)")
    }

    @Test func aConnectThatHangsTimesOutAndIsRetried() throws {
        let silent = try SilentListener()
        let runner = try LoopRunner()
        let client = RedisClient(loop: runner.loop, host: "127.0.0.1", port: Int(silent.port),
                                 options: .init(connectTimeout: .milliseconds(150), reconnectMin: .milliseconds(20)))
        var states: [RedisConnectionState] = []
        var timedOutAt: Int64 = 0
        client.onStateChange = { state in
            states.append(state)
            if state == .disconnected("connect timeout") && timedOutAt == 0 { timedOutAt = monotonicMs() }
        }
        let started = monotonicMs()
        client.start()
        #expect(runner.run { states.filter { $0 == .connecting }.count >= 2 })
        client.stop()
        #expect(states.starts(with: [.connecting, .disconnected("connect timeout"), .connecting]), "\(states)")
        #expect(timedOutAt - started >= 140 && timedOutAt - started < 1_000)
    }

    @Test func anUnresolvableHostSaysWhy() throws {
        let runner = try LoopRunner()
        let client = RedisClient(loop: runner.loop, host: "no-such-host.invalid", port: 6379)
        client.start()
        guard case .disconnected(let why) = client.state else {
            Issue.record("state \(client.state)")
            return
        }
        #expect(why.hasPrefix("cannot resolve no-such-host.invalid"))
    }

    @Test func scriptSHA1IsComputedLocally() {
        #expect(RedisScript(source: "return 1").sha1 == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
        #expect(RedisScript(source: "").sha1 == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }
}

private extension RedisClient {
    /// send() refuses at once while disconnected.
    func send0IsRefused() -> Bool {
        var result: RedisResult?
        send(["PING"]) { result = $0 }
        return result == .failure(.notConnected)
    }
}
