// The HTTP carrier against e2e/upstream_http_service.py on 127.0.0.1 (real sockets, real
// curl, our loop), plus the pure parts: the JSON body both ways, the back-off, the breaker.
// Serialized: the timing checks (linger, back-off, timeouts) assume the machine is not running
// the other HTTP tests at the same time.

import Testing
@testable import Upstream
import Reactor
import SMPP
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct HTTPUpstreamTests {
    @Test func batchesOfBatchSizeAndLingerFlushesThePartialOne() throws {
        let service = try TestService()
        defer { service.stop() }
        let loop = try EventLoop()
        let recorder = RecordingDelegate()
        let carrier = try makeCarrier(settings(url: service.url, batchSize: 10, lingerMs: 300, maxInFlight: 2),
                                      loop: loop, recorder: recorder)
        for n in 1...25 { carrier.send(message(UInt64(n))) }
        #expect(carrier.stats.queued + carrier.stats.inFlight == 25)
        #expect(run(loop) { recorder.answeredCount == 25 })
        carrier.stop()

        let requests = try service.requests()
        #expect(requests.count == 3)  // ceil(25 / 10)
        let sizes = requests.map { $0["body"]?["messages"]?.array?.count ?? -1 }
        #expect(sizes == [10, 10, 5])
        // The partial batch waited for the linger.
        let first = requests[0]["at_ms"]?.int ?? 0, last = requests[2]["at_ms"]?.int ?? 0
        #expect(last - first >= 200)
        // Keep-alive: no more connections than requests may run at once.
        #expect(Set(requests.compactMap { $0["peer"]?.string }).count <= 2)
        // Every accepted message got its upstream id, in our ids.
        #expect(Set(recorder.accepted.map(\.id)) == Set(1...25))
        #expect(Set(recorder.accepted.map(\.upstreamID)).count == 25)
        #expect(recorder.accepted.allSatisfy { $0.upstreamID.hasPrefix("up-") })
        let stats = carrier.stats
        #expect(stats.accepted == 25 && stats.refused == 0 && stats.retries == 0)
        #expect(stats.inFlight == 0 && stats.queued == 0)
        #expect(stats.answerLatencyCount == 25 && stats.answerLatencySumMicros > 0)
        #expect(stats.circuit == .closed)
        #expect(recorder.returned.isEmpty)
    }

    @Test func requestCarriesTheWireFormat() throws {
        let service = try TestService()
        defer { service.stop() }
        let loop = try EventLoop()
        let recorder = RecordingDelegate()
        let carrier = try makeCarrier(settings(url: service.url, batchSize: 2, lingerMs: 1), loop: loop, recorder: recorder)
        var m = message(7, to: "+49 \"151\"", text: "hi")
        m.esmClass = 0x40
        m.dataCoding = 8
        m.sar = SARFields(reference: 513, total: 2, sequence: 1)
        carrier.send(m)
        var p = message(8)
        p.shortMessage = []
        p.messagePayload = [0x00, 0xFF, 0x10]
        carrier.send(p)
        #expect(run(loop) { recorder.answeredCount == 2 })
        carrier.stop()

        let request = try #require(try service.requests().first)
        #expect(request["headers"]?["content-type"]?.string == "application/json")
        let sent = try #require(request["body"]?["messages"]?.array)
        #expect(sent.count == 2)
        #expect(sent[0]["id"]?.string == "7")
        #expect(sent[0]["account"]?.string == "acct")
        #expect(sent[0]["from"]?.string == "SMPPD")
        #expect(sent[0]["to"]?.string == "+49 \"151\"")
        #expect(sent[0]["from_ton"]?.int == 1 && sent[0]["to_npi"]?.int == 1)
        #expect(sent[0]["esm_class"]?.int == 0x40 && sent[0]["data_coding"]?.int == 8)
        #expect(sent[0]["text_hex"]?.string == "6869")
        #expect(sent[0]["sar"]?["ref"]?.int == 513 && sent[0]["sar"]?["total"]?.int == 2 && sent[0]["sar"]?["seq"]?.int == 1)
        #expect(sent[0]["submitted_at_ms"]?.int == Int(m.submitTimeMs))
        #expect(sent[0]["valid_until_ms"]?.int == Int(m.validityDeadlineMs))
        #expect(sent[1]["text_hex"]?.string == "00ff10")
        #expect(sent[1]["sar"] == nil)
    }

    @Test func refusalsAreMappedPerMessage() throws {
        let service = try TestService(["--refuse-suffix", "13", "--refuse-state", "UNDELIVERABLE", "--refuse-code", "42"])
        defer { service.stop() }
        let loop = try EventLoop()
        let recorder = RecordingDelegate()
        let carrier = try makeCarrier(settings(url: service.url, batchSize: 5), loop: loop, recorder: recorder)
        for n in 1...5 { carrier.send(message(UInt64(n), to: n % 2 == 1 ? "49000\(n)13" : "49000\(n)")) }
        #expect(run(loop) { recorder.answeredCount == 5 })
        carrier.stop()
        #expect(recorder.refused.map(\.id).sorted() == [1, 3, 5])
        #expect(recorder.refused.allSatisfy { $0.state == .undeliverable && $0.errorCode == 42 })
        #expect(recorder.accepted.map(\.id).sorted() == [2, 4])
        #expect(carrier.stats.refused == 3 && carrier.stats.accepted == 2)
    }

    @Test func serverErrorsAreRetriedWithGrowingDelays() throws {
        let service = try TestService(["--fail-first", "3"])
        defer { service.stop() }
        let loop = try EventLoop()
        let recorder = RecordingDelegate()
        let carrier = try makeCarrier(settings(url: service.url, batchSize: 2, lingerMs: 1, maxInFlight: 1,
                                               retry: BackoffSettings(initialMs: 60, maximumMs: 1_000)),
                                      loop: loop, recorder: recorder)
        carrier.backoff.isJittered = false  // the delays are then the caps: 60, 120, 240 ms
        carrier.send(message(1))
        carrier.send(message(2))
        #expect(run(loop) { recorder.answeredCount == 2 })
        carrier.stop()
        #expect(recorder.accepted.count == 2)
        let times = try service.requests().compactMap { $0["at_ms"]?.int }
        #expect(times.count == 4)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.count == 3)
        if gaps.count == 3 {
            #expect(gaps[0] >= 55 && gaps[1] >= 115 && gaps[2] >= 235)
            #expect(gaps[0] < gaps[1] && gaps[1] < gaps[2])
        }
        #expect(carrier.stats.retries == 6)  // 2 messages sent again 3 times
        #expect(recorder.failures == 3)
        #expect(recorder.httpEvents.contains(.requestFailed(reason: "HTTP 500")))
    }

    @Test func clientErrorsRefuseTheBatch() throws {
        let service = try TestService(["--status", "400"])
        defer { service.stop() }
        let loop = try EventLoop()
        let recorder = RecordingDelegate()
        let carrier = try makeCarrier(settings(url: service.url, batchSize: 3), loop: loop, recorder: recorder)
        for n in 1...3 { carrier.send(message(UInt64(n))) }
        #expect(run(loop) { recorder.answeredCount == 3 })
        carrier.stop()
        #expect(recorder.refused.count == 3)
        #expect(recorder.refused.allSatisfy { $0.state == .rejected && $0.errorCode == 400 })
        #expect(try service.requests().count == 1)  // not retried
    }

    @Test func slowAnswerPastTheTimeoutIsRetried() throws {
        let service = try TestService(["--delay-ms", "2000"])
        defer { service.stop() }
        let loop = try EventLoop()
        let recorder = RecordingDelegate()
        let carrier = try makeCarrier(settings(url: service.url, batchSize: 1, lingerMs: 0, timeoutMs: 300,
                                               retry: BackoffSettings(initialMs: 50, maximumMs: 50)),
                                      loop: loop, recorder: recorder)
        let started = monotonicMs()
        carrier.send(message(1))
        #expect(run(loop) { recorder.failures >= 1 })
        #expect(monotonicMs() - started >= 250)
        #expect(recorder.answeredCount == 0)
        #expect(recorder.httpEvents.first.map { if case .requestFailed(let r) = $0 { r.lowercased().contains("timeout") || r.lowercased().contains("timed out") } else { false } } == true)
        try service.control(#"{"delay_ms": 0}"#)
        #expect(run(loop) { recorder.accepted.count == 1 })
        carrier.stop()
        #expect(carrier.stats.retries >= 1)
    }

    @Test func malformedBodyIsRetriedAndCounted() throws {
        let service = try TestService(["--malformed-first", "1"])
        defer { service.stop() }
        let loop = try EventLoop()
        let recorder = RecordingDelegate()
        let carrier = try makeCarrier(settings(url: service.url, batchSize: 2, lingerMs: 1), loop: loop, recorder: recorder)
        carrier.send(message(1))
        carrier.send(message(2))
        #expect(run(loop) { recorder.accepted.count == 2 })
        carrier.stop()
        #expect(carrier.malformedResponses == 1)
        #expect(try service.requests().count == 2)
    }

    @Test func missingResultsAreRetriedUntilValidityThenExpire() throws {
        let service = try TestService(["--omit-suffix", "77"])
        defer { service.stop() }
        let loop = try EventLoop()
        let recorder = RecordingDelegate()
        let carrier = try makeCarrier(settings(url: service.url, batchSize: 2, lingerMs: 1,
                                               retry: BackoffSettings(initialMs: 20, maximumMs: 40)),
                                      loop: loop, recorder: recorder)
        carrier.send(message(1))
        carrier.send(message(2, to: "4900077", validForMs: 400))
        #expect(run(loop) { recorder.answeredCount == 2 })
        carrier.stop()
        #expect(recorder.accepted.map(\.id) == [1])
        #expect(recorder.refused.count == 1)
        #expect(recorder.refused.first?.id == 2 && recorder.refused.first?.state == .expired && recorder.refused.first?.errorCode == 0)
        // Retried alone, more than once, before it expired; missing results are no breaker failure.
        let requests = try service.requests()
        #expect(requests.count >= 3)
        #expect(requests.dropFirst().allSatisfy { $0["body"]?["messages"]?.array?.count == 1 })
        #expect(recorder.failures == 0)
    }

    @Test func deadPortOpensTheBreakerAndAHalfOpenTrialClosesIt() throws {
        let port = closedPort()
        let loop = try EventLoop()
        let recorder = RecordingDelegate()
        let carrier = try makeCarrier(settings(url: "http://127.0.0.1:\(port)/sms", batchSize: 2, lingerMs: 1, maxInFlight: 1,
                                               retry: BackoffSettings(initialMs: 5, maximumMs: 10), failures: 3, openMs: 400),
                                      loop: loop, recorder: recorder)
        for n in 1...10 { carrier.send(message(UInt64(n))) }
        #expect(run(loop) { recorder.httpEvents.contains(.circuitOpened(consecutiveFailures: 3)) })
        // Nothing was sent, so everything came back, and the carrier takes no traffic.
        #expect(Set(recorder.returned) == Set(1...10))
        #expect(recorder.returned.count == 10)
        #expect(recorder.answeredCount == 0)
        #expect(!carrier.isAvailable)
        #expect(carrier.stats.circuit == .open && carrier.stats.queued == 0 && carrier.stats.inFlight == 0)
        #expect(recorder.failures == 3)
        carrier.send(message(11))  // offered anyway while open: handed straight back
        #expect(recorder.returned.last == 11)

        // The service comes up on that port; after openMs one trial closes the circuit.
        let service = try TestService(port: port)
        defer { service.stop() }
        #expect(run(loop) { carrier.isAvailable })
        carrier.send(message(12))
        carrier.send(message(13))
        #expect(run(loop) { recorder.accepted.count == 2 })
        #expect(recorder.httpEvents.contains(.circuitHalfOpen))
        #expect(recorder.httpEvents.last == .circuitClosed)
        #expect(carrier.stats.circuit == .closed && carrier.isAvailable)
        carrier.stop()
        // The trial was one request, both messages in it.
        #expect(try service.requests().count == 1)
    }

    @Test func stopReturnsEverythingUnanswered() throws {
        let service = try TestService(["--delay-ms", "3000"])
        defer { service.stop() }
        let loop = try EventLoop()
        let recorder = RecordingDelegate()
        let carrier = try makeCarrier(settings(url: service.url, batchSize: 2, lingerMs: 1, maxInFlight: 1),
                                      loop: loop, recorder: recorder)
        for n in 1...5 { carrier.send(message(UInt64(n))) }
        #expect(run(loop) { carrier.stats.inFlight == 2 && carrier.stats.connections >= 1 })
        #expect(carrier.stats.queued == 3)
        carrier.stop()
        #expect(recorder.returned.sorted() == [1, 2, 3, 4, 5])
        #expect(carrier.stats.inFlight == 0 && carrier.stats.queued == 0)
        #expect(!carrier.isAvailable)
        carrier.send(message(6))
        #expect(recorder.returned.last == 6)
    }

    @Test func bearerTokenIsSent() throws {
        let service = try TestService(["--bearer", "s3cret"])
        defer { service.stop() }
        let loop = try EventLoop()
        let recorder = RecordingDelegate()
        var s = settings(url: service.url, batchSize: 1, lingerMs: 0)
        s.bearerToken = "s3cret"
        let carrier = try makeCarrier(s, loop: loop, recorder: recorder)
        carrier.send(message(1))
        #expect(run(loop) { recorder.answeredCount == 1 })
        carrier.stop()
        #expect(recorder.accepted.count == 1)
        #expect(try service.requests().first?["headers"]?["authorization"]?.string == "Bearer s3cret")
    }

    @Test func basicAuthIsSentAndAWrongOneIsRefusedWith401() throws {
        let service = try TestService(["--basic", "user:pa:ss"])
        defer { service.stop() }
        let loop = try EventLoop()
        let recorder = RecordingDelegate()
        var s = settings(url: service.url, batchSize: 1, lingerMs: 0)
        s.username = "user"
        s.password = "pa:ss"
        let carrier = try makeCarrier(s, loop: loop, recorder: recorder)
        carrier.send(message(1))
        #expect(run(loop) { recorder.answeredCount == 1 })
        carrier.stop()
        #expect(recorder.accepted.count == 1)
        #expect(try service.requests().first?["headers"]?["authorization"]?.string == "Basic dXNlcjpwYTpzcw==")

        s.password = "wrong"
        let wrongRecorder = RecordingDelegate()
        let wrong = try makeCarrier(s, loop: loop, recorder: wrongRecorder)
        wrong.send(message(2))
        #expect(run(loop) { wrongRecorder.answeredCount == 1 })
        wrong.stop()
        #expect(wrongRecorder.refused.first?.errorCode == 401 && wrongRecorder.refused.first?.state == .rejected)
    }

    @Test func httpsIsVerifiedAgainstTheCAFile() throws {
        let pki = try TestPKI.shared()
        let good = try TestService(["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey])
        defer { good.stop() }
        let rogue = try TestService(["--tls-cert", pki.rogueCert, "--tls-key", pki.rogueKey])
        defer { rogue.stop() }
        let loop = try EventLoop()

        let recorder = RecordingDelegate()
        var s = settings(url: good.url, batchSize: 1, lingerMs: 0)
        s.caFile = pki.caCert
        let carrier = try makeCarrier(s, loop: loop, recorder: recorder)
        carrier.send(message(1))
        #expect(run(loop) { recorder.answeredCount == 1 || recorder.failures > 0 })
        carrier.stop()
        #expect(recorder.accepted.count == 1)
        #expect(recorder.failures == 0)

        let rogueRecorder = RecordingDelegate()
        s.url = rogue.url
        let rogueCarrier = try makeCarrier(s, loop: loop, recorder: rogueRecorder)
        rogueCarrier.send(message(2))
        #expect(run(loop) { rogueRecorder.failures >= 1 })
        rogueCarrier.stop()
        #expect(rogueRecorder.accepted.isEmpty)
        #expect(rogueRecorder.returned == [2])
        if case .requestFailed(let reason)? = rogueRecorder.httpEvents.first {
            #expect(reason.lowercased().contains("certificate") || reason.lowercased().contains("ssl"))
        }
    }

    @Test func settingsThatCannotWorkAreRefused() throws {
        let loop = try EventLoop()
        #expect(throws: HTTPUpstreamError.self) { try HTTPUpstream(name: "x", settings: settings(url: "ftp://a/"), loop: loop) }
        #expect(throws: HTTPUpstreamError.self) {
            try HTTPUpstream(name: "x", settings: settings(url: "http://a/", batchSize: 0), loop: loop)
        }
        var missingCA = settings(url: "https://a/")
        missingCA.caFile = "/nonexistent/ca.pem"
        #expect(throws: HTTPUpstreamError.self) { try HTTPUpstream(name: "x", settings: missingCA, loop: loop) }
    }
}

/// A CA, a server certificate it signed for 127.0.0.1, and a self-signed one it did not sign.
struct TestPKI {
    let caCert: String, serverCert: String, serverKey: String, rogueCert: String, rogueKey: String

    nonisolated(unsafe) private static var made: TestPKI?

    static func shared() throws -> TestPKI {
        if let made { return made }
        let dir = "/tmp/smppd-upstream-tests-\(getpid())"
        let key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
        try shell("""
            set -e; mkdir -p \(dir); cd \(dir)
            openssl req -x509 \(key) -keyout ca.key -out ca.pem -days 2 -subj /CN=smppd-test-ca \
              -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
            openssl req \(key) -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1\\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
              -extfile server.ext 2>/dev/null
            openssl req -x509 \(key) -keyout rogue.key -out rogue.pem -days 2 -subj /CN=127.0.0.1 \
              -addext subjectAltName=IP:127.0.0.1 2>/dev/null
            """)
        let pki = TestPKI(caCert: "\(dir)/ca.pem", serverCert: "\(dir)/server.pem", serverKey: "\(dir)/server.key",
                          rogueCert: "\(dir)/rogue.pem", rogueKey: "\(dir)/rogue.key")
        made = pki
        return pki
    }
}
