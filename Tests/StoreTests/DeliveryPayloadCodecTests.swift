// DeliveryPayloadCodec: the bytes a receipt or MO crosses nodes as (issue 15). Round trips of
// both kinds together, and input that is short, unknown or cut anywhere is refused.

import Testing
import SMPP
@testable import Store

@Suite struct DeliveryPayloadCodecTests {
    private func payloads() -> [DeliveryPayload] {
        var delivered = makeRecord(MessageID(rawValue: 0xAC6_0618_B988_0001), validity: testNow + 60_000)
        delivered.state = .delivered
        delivered.finalTime = testNow + 1_234
        let mo = MobileOriginatedMessage(source: StoredAddress("+14155550123"), destination: StoredAddress("+12125550100"),
                                         dataCoding: .ucs2, shortMessage: [0x00, 0x48, 0x00, 0x69, 0xFF, 0x00],
                                         esmClass: 0x40, id: 2 << 56 | 77)
        return [.receipt(delivered), .mobileOriginated(mo), .receipt(makeRecord(MessageID(rawValue: 42), account: "other"))]
    }

    @Test func receiptsAndMORoundTripInOrder() throws {
        let codec = DeliveryPayloadCodec()
        let original = payloads()
        let bytes = codec.encode(original)
        #expect(try DeliveryPayloadCodec.decode(bytes) == original)
        // The scratch buffer is reused: a second, smaller encoding is not polluted by the first.
        #expect(try DeliveryPayloadCodec.decode(codec.encode([original[1]])) == [original[1]])
        #expect(try DeliveryPayloadCodec.decode(codec.encode([])) == [])
    }

    @Test func everyCutAndAnUnknownKindAreRefused() {
        let bytes = DeliveryPayloadCodec().encode(payloads())
        for cut in 1..<bytes.count {
            // A cut can land exactly between two payloads: those decode to fewer payloads.
            if let decoded = try? DeliveryPayloadCodec.decode(Array(bytes[..<cut])) {
                #expect(decoded.count < 3, "cut at \(cut) decoded everything")
            }
        }
        #expect(throws: StoreLogDecodingError.self) { try DeliveryPayloadCodec.decode([9]) }
        #expect(throws: StoreLogDecodingError.self) { try DeliveryPayloadCodec.decode([2, 1, 2]) }
    }
}
