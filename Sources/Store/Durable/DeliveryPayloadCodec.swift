// DeliveryPayloadCodec: receipts and MO as bytes, for a delivery that crosses to another node
// (issue 15: packed per turn into the account's stream in the shared store). The same field
// encodings as the journal's entries, so the two cannot drift apart. Loop thread (one scratch
// batch per codec).
import Journal

/// Packs deliveries into one byte string and reads them back.
public final class DeliveryPayloadCodec {
    private let scratch = JournalBatch(capacity: 64 * 1024)

    public init() {}

    private enum Kind: UInt8 { case receipt = 1, mobileOriginated = 2 }

    /// The payloads, one after another: `[u8 kind][fields]`.
    public func encode(_ payloads: [DeliveryPayload]) -> [UInt8] {
        scratch.reset(sequence: 0)
        for p in payloads {
            switch p {
            case .receipt(let r):
                StoreLogEncoder.u8(scratch, Kind.receipt.rawValue)
                StoreLogEncoder.record(scratch, r)
            case .mobileOriginated(let m):
                StoreLogEncoder.u8(scratch, Kind.mobileOriginated.rawValue)
                StoreLogEncoder.u64(scratch, m.id)
                StoreLogEncoder.moBody(scratch, m)
            }
        }
        return Array(scratch.bytes.dropFirst(JournalFrame.headerBytes))
    }

    /// Every payload in `bytes`; throws on anything short, unknown or left over.
    public static func decode(_ bytes: [UInt8]) throws(StoreLogDecodingError) -> [DeliveryPayload] {
        var c = StoreLogCursor(bytes: bytes, range: 0..<bytes.count)
        var out: [DeliveryPayload] = []
        while !c.isAtEnd {
            let raw = try c.u8()
            switch Kind(rawValue: raw) {
            case .receipt:
                out.append(.receipt(try c.record()))
            case .mobileOriginated:
                out.append(.mobileOriginated(try c.moBody(id: try c.u64())))
            case nil:
                throw c.failure("delivery kind \(raw)")
            }
        }
        return out
    }
}
