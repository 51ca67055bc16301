import Journal
import Upstream
@testable import SMSC

/// Encodes an OutboundMessage through a real JournalBatch and reads the body back.
struct JournalBatchForTests {
    func encode(_ m: OutboundMessage) -> [UInt8] {
        let batch = JournalBatch(capacity: 64 * 1024)
        let start = batch.count
        OutboundMessageCodec.encode(m, into: batch)
        return Array(batch.bytes[start...])
    }
}
