// Message ids: unique across restarts, short, canonical text both ways (C-SUB-1, C-MGT-1/2).
import Testing
import SMPP
@testable import Store

@Suite struct MessageIDTests {
    @Test func oneMillionIdsOverTwoRapidStartsAreUnique_C_SUB_1() {
        // Run A issues 1M ids "instantly" (2^19 per ms: its ids span 2 logical ms), then the
        // daemon restarts as fast as the argument allows: the first millisecond after A's last.
        var first = MessageIDGenerator(startUnixMillis: testNow)
        var seen = Set<UInt64>(minimumCapacity: 2_000_000)
        var last: MessageID?
        for _ in 0..<1_000_000 {
            let id = first.next()
            if let last { #expect(id > last) }
            last = id
            seen.insert(id.rawValue)
        }
        let lastMillisecond = Int64(first.lastIssued!.rawValue >> 23) + MessageIDGenerator.epochUnixMillis
        var second = MessageIDGenerator(startUnixMillis: lastMillisecond + 1)
        for _ in 0..<1_000_000 { seen.insert(second.next().rawValue) }
        #expect(seen.count == 2_000_000)
        #expect(!seen.contains(0))
    }

    @Test func floorKeepsIdsUniqueWhenTheClockStepsBack_C_SUB_1_C_DATA_1() {
        var first = MessageIDGenerator(startUnixMillis: testNow)
        var issued = Set<UInt64>()
        for _ in 0..<10_000 { issued.insert(first.next().rawValue) }
        // Restart with the clock an hour behind, but the largest persisted id as floor.
        var second = MessageIDGenerator(startUnixMillis: testNow - 3_600_000, floor: first.lastIssued)
        for _ in 0..<10_000 {
            let id = second.next()
            #expect(id > first.lastIssued!)
            #expect(issued.insert(id.rawValue).inserted)
        }
        // A floor below the clock changes nothing.
        var third = MessageIDGenerator(startUnixMillis: testNow + 60_000, floor: MessageID(rawValue: 5))
        #expect(third.next().rawValue >> 23 == UInt64(testNow + 60_000 - MessageIDGenerator.epochUnixMillis))
    }

    @Test func instancesStartingTogetherNeverCollide_C_SUB_1() {
        var seen = Set<UInt64>()
        for instance in UInt8(0)..<16 {
            var generator = MessageIDGenerator(startUnixMillis: testNow, instance: instance)
            for _ in 0..<1_000 {
                let id = generator.next()
                #expect(seen.insert(id.rawValue).inserted)
                // Every id names its instance (in a cluster, the node that owns the record),
                // also past a counter wrap and above a floor.
                #expect(MessageIDGenerator.instance(of: id) == Int(instance))
            }
            var floored = MessageIDGenerator(startUnixMillis: testNow, instance: instance,
                                             floor: MessageID(rawValue: UInt64.max >> 2))
            #expect(MessageIDGenerator.instance(of: floored.next()) == Int(instance))
        }
    }

    @Test func idsAreShort_C_SUB_1() {
        var generator = MessageIDGenerator(startUnixMillis: testNow)
        let id = generator.next()
        #expect(id.text(.hex).count <= 16)
        #expect(id.text(.decimal).count <= 20)
        // Even at the end of the layout's range (2093).
        let largest = MessageID(rawValue: .max)
        #expect(largest.string(.hex) == "ffffffffffffffff")
        #expect(largest.string(.upperHex) == "FFFFFFFFFFFFFFFF")
        #expect(largest.string(.decimal) == "18446744073709551615")
    }

    @Test(arguments: MessageIDFormat.allCases)
    func textRoundTripsInEveryFormat_C_MGT_1(format: MessageIDFormat) {
        var random = SeededGenerator(seed: 7)
        var values: [UInt64] = [1, 9, 10, 15, 16, 255, 256, 999, 1_000, .max, .max - 1, 1 << 63]
        for _ in 0..<10_000 { values.append(random.next() >> UInt64.random(in: 0...63, using: &random)) }
        for value in values where value != 0 {
            let id = MessageID(rawValue: value)
            let text = id.text(format)
            #expect(MessageID(parsing: text, format: format) == id)
            #expect(id.string(format) == (format == .decimal ? String(value)
                : String(value, radix: 16, uppercase: format == .upperHex)))
            // render writes the same characters (its own digit loop, and words for hex).
            var buffer = [UInt8](repeating: 0, count: 24)
            guard case .written(let n) = id.render(format, into: &buffer) else {
                Issue.record("render refused 24 octets for \(value)")
                continue
            }
            #expect(Array(buffer.prefix(n)) == Array(text))
        }
        var buffer = [UInt8](repeating: 0xFF, count: 2)
        #expect(MessageID(rawValue: 0).render(format, into: &buffer) == .written(byteCount: 1))
        #expect(buffer == [UInt8(ascii: "0"), 0xFF])
    }

    @Test func renderWritesIntoTheCallersBufferOrAsksForRoom() {
        let id = MessageID(rawValue: 0x1B3F_0C2A_9D00_0007)
        var buffer = [UInt8](repeating: 0, count: 20)
        #expect(id.render(.hex, into: &buffer) == .written(byteCount: 16))
        #expect(Array(buffer.prefix(16)) == Array("1b3f0c2a9d000007".utf8))
        var small = [UInt8](repeating: 0, count: 10)
        #expect(id.render(.decimal, into: &small) == .needsCapacity(byteCount: 19))
        #expect(small == [UInt8](repeating: 0, count: 10))
    }

    @Test func badIdsAreUnknown_C_MGT_1_C_MGT_2() {
        let rejectedEverywhere = ["", "0", "00", "0123", "12 3", " 123", "123\0", "-1", "+1", "1.0", "1g", "xyz",
                                  "12345678901234567890123"]
        for format in MessageIDFormat.allCases {
            for text in rejectedEverywhere {
                #expect(MessageID(parsing: text, format: format) == nil, "\(format) accepted \(text.debugDescription)")
            }
        }
        // Hex letters are not decimal; 20 decimal digits above UInt64.max overflow.
        #expect(MessageID(parsing: "1a", format: .decimal) == nil)
        #expect(MessageID(parsing: "18446744073709551616", format: .decimal) == nil)
        #expect(MessageID(parsing: "99999999999999999999", format: .decimal) == nil)
        // 17 hex digits are too long, whatever their value.
        #expect(MessageID(parsing: "10000000000000000", format: .hex) == nil)
        // Hex accepts either case (clients that upper-case stored ids still find them).
        #expect(MessageID(parsing: "1B3f", format: .hex) == MessageID(rawValue: 0x1B3F))
        #expect(MessageID(parsing: "1b3f", format: .upperHex) == MessageID(rawValue: 0x1B3F))
    }
}
