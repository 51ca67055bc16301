// The HTTP carrier's pure parts: the request body it writes, the results it reads (and the
// bodies it refuses), the back-off's caps and jitter, the breaker's states.

import Testing
@testable import Upstream
import SMPP

@Suite struct HTTPWireTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func encodesTheDocumentedBody() {
        let m = OutboundMessage(id: 1, systemID: "acc\"t", sourceTon: 5, sourceNpi: 0, source: "Shop\\1",
                                destinationTon: 1, destinationNpi: 1, destination: "491\n5\u{1}", esmClass: 0x40,
                                dataCoding: 8, shortMessage: [0x00, 0xAB], sar: SARFields(reference: 7, total: 2, sequence: 1),
                                submitTimeMs: 1_700_000_000_000, validityDeadlineMs: -5)
        var out: [UInt8] = [1, 2, 3]
        HTTPBatchEncoder.encode([m, m], ids: .decimal, into: &out)
        let one = #"{"id":"1","account":"acc\"t","from":"Shop\\1","from_ton":5,"from_npi":0,"to":"491\n5\u0001","#
            + #""to_ton":1,"to_npi":1,"data_coding":8,"esm_class":64,"text_hex":"00ab","sar":{"ref":7,"total":2,"seq":1},"#
            + #""submitted_at_ms":1700000000000,"valid_until_ms":-5}"#
        #expect(text(out) == #"{"messages":["# + one + "," + one + "]}")
    }

    @Test func encodesPayloadInsteadOfShortMessageAndKeepsUTF8() {
        var m = message(1, to: "é€", text: "")
        m.messagePayload = [0xFF]
        var out: [UInt8] = []
        HTTPBatchEncoder.encode([m], ids: .decimal, into: &out)
        #expect(text(out).contains(#""to":"é€""#))
        #expect(text(out).contains(#""text_hex":"ff""#))
        HTTPBatchEncoder.encode([], ids: .decimal, into: &out)
        #expect(text(out) == #"{"messages":[]}"#)
    }

    /// The encoder grows the body once, by a bound: the worst text (every byte an escape, the
    /// longest fields, the most digits) stays inside it.
    @Test func worstCaseMessagesStayWithinTheBound() {
        let control = String(repeating: "\u{01}", count: 21)
        var m = message(UInt64.max, to: control, text: "")
        m.systemID = control
        m.source = control
        m.messagePayload = Array(repeating: 0xFF, count: 65_000)
        m.sar = SARFields(reference: .max, total: .max, sequence: .max)
        m.submitTimeMs = .min
        m.validityDeadlineMs = .max
        var out: [UInt8] = []
        HTTPBatchEncoder.encode([m, m, m], ids: .decimal, into: &out)
        let body = text(out)
        #expect(body.hasPrefix(#"{"messages":[{"id":"18446744073709551615","account":"\u0001"#))
        #expect(body.hasSuffix(#""valid_until_ms":9223372036854775807}]}"#))
        #expect(body.split(separator: "\\", omittingEmptySubsequences: false).count - 1 == 3 * 3 * 21)
    }

    @Test func numbersAtTheEdges() {
        for n: Int64 in [0, 9, 10, -1, .max, .min] {
            var out: [UInt8] = []
            HTTPBatchEncoder.number(n, to: &out)
            #expect(text(out) == String(n))
        }
    }

    private func decode(_ body: String) throws(HTTPBodyError) -> HTTPResultsDecoder {
        var d = HTTPResultsDecoder()
        try d.decode(Array(body.utf8))
        return d
    }

    @Test func decodesResultsWithEscapesAndUnknownKeys() throws {
        let body = """
            { "meta": {"x": [1, 2.5e3, true, false, null, {"y": "z"}]},
              "results": [
                {"id": "a\\"b", "status": "accepted", "upstream_id": "u\\u00e9\\ud83d\\ude00", "extra": [ ]},
                {"status": "refused", "id": "c", "reason": "no\\/route\\n", "state": "UNDELIVERABLE", "error_code": 42},
                {"id": "d", "status": "refused"}
              ],
              "trailer": -0.5 }
            """
        let d = try decode(body)
        #expect(d.results.count == 3)
        #expect(String(decoding: d.idText(of: d.results[0]), as: UTF8.self) == "a\"b")
        #expect(d.results[0].outcome == .accepted(upstreamID: "u\u{e9}\u{1F600}"))
        #expect(String(decoding: d.idText(of: d.results[1]), as: UTF8.self) == "c")
        #expect(d.results[1].outcome == .refused(state: .undeliverable, errorCode: 42))
        #expect(d.results[2].outcome == .refused(state: .rejected, errorCode: 0))
        #expect(String(decoding: d.idText(of: d.results[2]), as: UTF8.self) == "d")
    }

    @Test func reusedDecoderForgetsTheLastBody() throws {
        var d = HTTPResultsDecoder()
        try d.decode(Array(#"{"results":[{"id":"x","status":"refused"}]}"#.utf8))
        try d.decode(Array(#"{"results":[]}"#.utf8))
        #expect(d.results.isEmpty)
    }

    @Test(arguments: [
        "",
        "[]",
        #"{"results": {}}"#,
        #"{"other": []}"#,
        #"{"results": [ {"id": "#,
        #"{"results": []} x"#,
        #"{"results": [{"status": "accepted", "upstream_id": "u"}]}"#,
        #"{"results": [{"id": "a"}]}"#,
        #"{"results": [{"id": "a", "status": "maybe"}]}"#,
        #"{"results": [{"id": "a", "status": "accepted"}]}"#,
        #"{"results": [{"id": "a", "status": "accepted", "upstream_id": ""}]}"#,
        #"{"results": [{"id": "a", "status": "refused", "state": "DELIVERED"}]}"#,
        #"{"results": [{"id": "a", "status": "refused", "error_code": 1000}]}"#,
        #"{"results": [{"id": "a", "status": "refused", "error_code": -1}]}"#,
        #"{"results": [{"id": "a", "status": "refused", "error_code": 1.5}]}"#,
        #"{"results": [{"id": "a\ud800", "status": "refused"}]}"#,
        #"{"results": [{"id": "a\q", "status": "refused"}]}"#,
        "{\"results\": [{\"id\": \"a\u{1}\", \"status\": \"refused\"}]}",
        #"{"results": [{"id": "a", "status": "refused",}]}"#,
        #"{"results": [{"id": "a", "status": "refused"} {"id": "b"}]}"#,
        #"{"results": [], "x": tru}"#,
        #"{"results": [], "x": -}"#,
        "{\"results\": [], \"x\": " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}",
    ])
    func refusesMalformedBodies(_ body: String) {
        #expect(throws: HTTPBodyError.self) { try decode(body) }
    }

    @Test func backoffCapsDoubleUpToTheMaximumAndJitterStaysUnder() {
        var b = Backoff(BackoffSettings(initialMs: 100, maximumMs: 1_000), jitterSeed: 42)
        #expect((0..<6).map { b.capMs(attempt: $0) } == [100, 200, 400, 800, 1_000, 1_000])
        #expect(b.capMs(attempt: 500) == 1_000)
        var sum: Int64 = 0
        for _ in 0..<1_000 {
            let d = b.delayMs(attempt: 2)
            #expect(d >= 0 && d <= 400)
            sum += d
        }
        // Full jitter: the mean is about half the cap, not the cap.
        #expect(sum / 1_000 > 120 && sum / 1_000 < 280)
        b.isJittered = false
        let unjittered = b.delayMs(attempt: 3)
        #expect(unjittered == 800)
    }

    @Test func breakerOpensAfterFailuresTriesOnceAndCloses() {
        var s = CircuitBreakerSettings()
        s.failures = 3
        s.openMs = 1_000
        var b = CircuitBreaker(s)
        var changed = [b.recordFailure(nowMs: 0), b.recordFailure(nowMs: 1), b.recordSuccess()]
        #expect(changed == [false, false, false])  // a success in between starts the count again
        changed = [b.recordFailure(nowMs: 2), b.recordFailure(nowMs: 3), b.recordFailure(nowMs: 10)]
        #expect(changed == [false, false, true])
        #expect(b.state == .open && b.requestLimit(8) == 0 && !b.isAvailable(nowMs: 500))
        changed = [b.advance(nowMs: 1_009), b.isAvailable(nowMs: 1_010), b.advance(nowMs: 1_010)]
        #expect(changed == [false, true, true])
        #expect(b.state == .halfOpen && b.requestLimit(8) == 1)
        let reopened = b.recordFailure(nowMs: 1_100)  // the trial failed: open again
        #expect(reopened)
        #expect(b.state == .open && !b.isAvailable(nowMs: 2_000) && b.isAvailable(nowMs: 2_100))
        changed = [b.advance(nowMs: 2_100), b.recordSuccess()]
        #expect(changed == [true, true])
        #expect(b.state == .closed && b.requestLimit(8) == 8 && b.consecutiveFailures == 0)
    }
}
