import Testing
@testable import Upstream

@Suite struct UpstreamIDTests {
    static let ids = ["", "a", "a\u{0}", "up-1", "up-10", "1b3f0c2a9d000007", "1B3F0C2A9D000007",
                      String(repeating: "x", count: 32), String(repeating: "x", count: 33), String(repeating: "x", count: 34),
                      "550e8400-e29b-41d4-a716-446655440000", "ünïcödé-id"]

    @Test func equalIdsAreEqualKeysAndOthersDiffer() {
        for (i, a) in Self.ids.enumerated() {
            let copy = String(decoding: Array(a.utf8), as: UTF8.self)   // another string with the same bytes
            #expect(UpstreamID(a) == UpstreamID(copy))
            #expect(UpstreamID(a) == UpstreamID(bytes: Array(a.utf8)), "from bytes as from the text")
            #expect(UpstreamID(a).hashValue == UpstreamID(bytes: Array(a.utf8)).hashValue)
            #expect(UpstreamID(a).description == a)
            for (j, b) in Self.ids.enumerated() where i != j {
                #expect(UpstreamID(a) != UpstreamID(b), "\(a) vs \(b)")
            }
        }
        var table: [UpstreamID: Int] = [:]
        for (i, id) in Self.ids.enumerated() { table[UpstreamID(id)] = i }
        #expect(Self.ids.enumerated().allSatisfy { table[UpstreamID($1)] == $0 })
        #expect(UpstreamID("").isEmpty && !UpstreamID("x").isEmpty)
    }
}
