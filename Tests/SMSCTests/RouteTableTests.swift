// Routing of accepted messages to carriers (issue 12): longest prefix first, a route naming
// the account before one for every account, config order last; the simulator without a
// match; config mistakes named by key.
import Testing
@testable import SMSC
import Upstream

@Suite struct RouteTableTests {
    let names = ["up-a", "up-b", "http-c"]

    func carriers(_ r: ResolvedRoute) -> [String] {
        r.carriers.map { $0 == RouteTable.simulator ? "simulator" : names[$0] }
    }

    @Test func longestPrefixThenAccountThenOrder() throws {
        let table = try RouteTable(routes: [
            RouteDefinition(carriers: ["up-a", "up-b"]),                                    // default, with failover
            RouteDefinition(prefixes: ["+44"], carriers: ["up-b"]),
            RouteDefinition(prefixes: ["447700"], carriers: ["http-c", "simulator"]),
            RouteDefinition(accounts: ["acme"], prefixes: ["44"], carriers: ["http-c"]),
            RouteDefinition(prefixes: ["44"], carriers: ["up-a"]),                          // same length, later: never wins
        ], carrierNames: names)
        #expect(carriers(table.resolve(systemID: "other", destination: Array("12025550100".utf8))) == ["up-a", "up-b"])
        #expect(carriers(table.resolve(systemID: "other", destination: Array("447911123456".utf8))) == ["up-b"])
        #expect(carriers(table.resolve(systemID: "acme", destination: Array("447911123456".utf8))) == ["http-c"])
        #expect(carriers(table.resolve(systemID: "acme", destination: Array("447700900123".utf8))) == ["http-c", "simulator"])
        #expect(!table.resolve(systemID: "acme", destination: Array("447700900123".utf8)).startsWithSimulator)
    }

    @Test func withoutAMatchTheSimulatorTakesIt() throws {
        let table = try RouteTable(routes: [RouteDefinition(accounts: ["acme"], prefixes: ["33"], carriers: ["up-a"])],
                                   carrierNames: names)
        #expect(table.resolve(systemID: "acme", destination: Array("4479".utf8)).startsWithSimulator)
        #expect(table.resolve(systemID: "beta", destination: Array("3312".utf8)).startsWithSimulator)
        #expect(!table.resolve(systemID: "acme", destination: Array("3312".utf8)).startsWithSimulator)
        #expect(RouteTable().isEmpty)
        #expect(table.forAccount("beta").allToSimulator && !table.forAccount("acme").allToSimulator)
    }

    @Test func mistakesNameTheKey() {
        func problem(_ routes: [RouteDefinition]) -> String? {
            do { _ = try RouteTable(routes: routes, carrierNames: names); return nil } catch { return error.description }
        }
        #expect(problem([RouteDefinition(carriers: ["nope"])])?.contains("route[0].carriers: no [[carrier]] named \"nope\"") == true)
        #expect(problem([RouteDefinition(carriers: [])])?.contains("route[0].carriers") == true)
        #expect(problem([RouteDefinition(carriers: ["up-a", "up-a"])])?.contains("listed twice") == true)
        #expect(problem([RouteDefinition(prefixes: ["44x"], carriers: ["up-a"])])?.contains("route[0].prefixes") == true)
        #expect(problem([RouteDefinition(prefixes: [""], carriers: ["up-a"])])?.contains("route[0].prefixes") == true)
        #expect(problem([RouteDefinition(accounts: ["acme"], carriers: ["simulator"])]) == nil)
    }
}

@Suite struct OutboundMessageCodecTests {
    @Test func roundTripsEveryField() {
        let full = OutboundMessage(id: 0xABCDEF, systemID: "acme", sourceTon: 5, sourceNpi: 0, source: "ACME",
                                   destinationTon: 1, destinationNpi: 1, destination: "447700900123", esmClass: 0x40,
                                   protocolID: 7, priority: 2, dataCoding: 8, shortMessage: [5, 0, 3, 9, 2, 1] + Array(repeating: 0x41, count: 140),
                                   messagePayload: Array(repeating: 0x42, count: 3000), sar: SARFields(reference: 513, total: 3, sequence: 2),
                                   submitTimeMs: 1_700_000_000_123, validityDeadlineMs: 1_700_000_060_000)
        let plain = OutboundMessage(id: 1, systemID: "b", sourceTon: 1, sourceNpi: 1, source: "12025550100",
                                    destinationTon: 1, destinationNpi: 1, destination: "12025550101", shortMessage: [],
                                    submitTimeMs: 0, validityDeadlineMs: 0)
        for m in [full, plain] {
            let batch = JournalBatchForTests()
            let bytes = batch.encode(m)
            #expect(bytes.count == OutboundMessageCodec.length(of: m))
            #expect(OutboundMessageCodec.decode(id: m.id, bytes) == m)
            // Every truncation, and a byte too many, is refused rather than misread.
            for cut in [0, 1, bytes.count / 2, bytes.count - 1] {
                #expect(OutboundMessageCodec.decode(id: m.id, Array(bytes.prefix(cut))) == nil)
            }
            #expect(OutboundMessageCodec.decode(id: m.id, bytes + [0]) == nil)
        }
    }
}
