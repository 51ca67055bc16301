// The admin API's JSON reader, routes and Prometheus text (docs/messaging.md "Admin HTTP").
import Testing
@testable import Admin

@Suite struct AdminJSONTests {
    func parse(_ s: String) -> Result<[String: JSONValue], AdminJSONError> { AdminJSON.parseObject(Array(s.utf8)) }

    @Test func flatObjectsParse() throws {
        let o = try parse(#"{"system_id":"acme", "n": 8, "ok": true, "x": null, "t":"\u00e9\n\"q\" \ud83d\ude00"}"#).get()
        #expect(o["system_id"] == .string("acme"))
        #expect(o["n"] == .number(8))
        #expect(o["ok"] == .bool(true))
        #expect(o["x"] == .null)
        #expect(o["t"] == .string("é\n\"q\" 😀"))
        #expect(try parse("{}").get().isEmpty)
    }

    @Test(arguments: [#"{"a":{"b":1}}"#, #"{"a":[1]}"#, #"{"a":1,"a":2}"#, #"{"a":1"#, #"{"a":"x"} trailing"#,
                      "", "[]", #"{"a":"\ud83d"}"#, #"{"a":01x}"#, "{\"a\":\"\u{01}\"}"])
    func malformedJSONIsRefused(_ text: String) {
        if case .success = parse(text) { Issue.record("accepted \(text)") }
    }

    @Test func quotingEscapes() {
        #expect(AdminJSON.quote("a\"b\\c\n\u{01}") == #""a\"b\\c\n\u0001""#)
    }

    @Test func routes() {
        #expect(AdminRoute.match(method: "GET", path: "/metrics") == .metrics)
        #expect(AdminRoute.match(method: "POST", path: "/metrics") == .methodNotAllowed(allow: "GET"))
        #expect(AdminRoute.match(method: "POST", path: "/v1/mo") == .injectMO)
        #expect(AdminRoute.match(method: "GET", path: "/v1/mo") == .methodNotAllowed(allow: "POST"))
        #expect(AdminRoute.match(method: "GET", path: "/") == .statusPage)
        #expect(AdminRoute.match(method: "GET", path: "/healthz") == .health)
        #expect(AdminRoute.match(method: "GET", path: "/readyz?verbose") == .ready)
        #expect(AdminRoute.match(method: "GET", path: "/v1/sessions") == .sessions)
        #expect(AdminRoute.match(method: "GET", path: "/v1/accounts") == .accounts)
        #expect(AdminRoute.match(method: "GET", path: "/v1/messages/ab%2Fc") == .message(id: "ab/c"))
        #expect(AdminRoute.match(method: "DELETE", path: "/v1/messages/abc") == .methodNotAllowed(allow: "GET"))
        #expect(AdminRoute.match(method: "GET", path: "/v1/messages/") == .notFound)
        #expect(AdminRoute.match(method: "GET", path: "/v1/sessions/") == .notFound)
        #expect(AdminRoute.match(method: "POST", path: "/v1/messages/ab%2Fc/state") == .messageState(id: "ab/c"))
        #expect(AdminRoute.match(method: "POST", path: "/v1/messages/abc/state?x=1") == .messageState(id: "abc"))
        #expect(AdminRoute.match(method: "GET", path: "/v2/whatever") == .notFound)
    }

    @Test func jsonOutRendersNestedValues() {
        let v = JSONOut.object([("a", .array([.int(1), .string("x\"y"), .null])), ("b", .bool(true)), ("c", .object([]))])
        #expect(v.text == #"{"a":[1,"x\"y",null],"b":true,"c":{}}"#)
    }

    @Test func prometheusTextIsExact() {
        var p = PrometheusText()
        p.counter("c_total", help: "A counter.", samples: [([("command", "submit_sm"), ("status", "ESME_ROK")], 3)])
        p.gauge("g", help: "Back\\slash\nnew", samples: [([("v", "a\"b\\c\nd")], 1.5), ([], 2)])
        p.histogram("h_seconds", help: "H.", buckets: [0.1, 1], cumulativeCounts: [1, 2], sum: 1.25, count: 3)
        #expect(p.text == """
        # HELP c_total A counter.
        # TYPE c_total counter
        c_total{command="submit_sm",status="ESME_ROK"} 3
        # HELP g Back\\\\slash\\nnew
        # TYPE g gauge
        g{v="a\\"b\\\\c\\nd"} 1.5
        g 2
        # HELP h_seconds H.
        # TYPE h_seconds histogram
        h_seconds_bucket{le="0.1"} 1
        h_seconds_bucket{le="1"} 2
        h_seconds_bucket{le="+Inf"} 3
        h_seconds_sum 1.25
        h_seconds_count 3

        """)
    }
}
