// Helpers shared by the Store tests: a seeded generator and record builders.
import SMPP
@testable import Store

/// SplitMix64: a small seeded generator, so randomized tests replay exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// 2025-06-01T12:00:00Z in Unix ms: a "now" after the id epoch.
let testNow: Int64 = 1_748_779_200_000

func makeRecord(
    _ id: MessageID, account: ShortBytes = "acme", at submitTime: Int64 = testNow,
    validity: Int64? = nil, forwardDeadline: Int64 = .max, registeredDelivery: UInt8 = 1
) -> MessageRecord {
    MessageRecord(
        id: id, systemID: account,
        source: StoredAddress("+4915112345678"), destination: StoredAddress("+4917098769990"),
        dataCoding: .ascii, registeredDelivery: registeredDelivery,
        receiptText: MessageRecord.receiptText(of: Array("hello world".utf8), coding: .ascii),
        submitTime: submitTime, validityDeadline: validity, forwardDeadline: forwardDeadline)
}

extension MemoryMessageStore {
    /// Inserts and expects success.
    func mustInsert(_ record: MessageRecord) {
        let result = insert(record)
        precondition(result == .inserted, "insert failed: \(result)")
    }
}
