// PDUFramer: "need more bytes", "one PDU of N bytes", "bad command_length" (C-ERR-2), over a
// stream of back-to-back PDUs split at every possible point.
import SMPP
import Testing

func frame(_ bytes: [UInt8], max: Int = 4096, payloadMax: Int? = nil) -> Framing {
    bytes.withUnsafeBytes { PDUFramer.frame($0, maxPDULength: max, maxPayloadPDULength: payloadMax ?? max) }
}

@Suite struct FramingTests {
    @Test func fewerThanFourBytesNeedMore() {
        for n in 0..<4 { #expect(frame(Array(Vectors.enquireLink.prefix(n))) == .needMoreBytes) }
    }

    @Test func incompletePDUNeedsMore() {
        for n in 4..<Vectors.submitSM.count { #expect(frame(Array(Vectors.submitSM.prefix(n))) == .needMoreBytes) }
        #expect(frame(Vectors.submitSM) == .pdu(length: 116))
        #expect(frame(Vectors.submitSM + Vectors.enquireLink) == .pdu(length: 116))
    }

    @Test func commandLengthBelow16IsBad_C_ERR_2() {
        #expect(frame(hex("0000000F")) == .badCommandLength(15))
        #expect(frame(hex("00000000 00000015")) == .badCommandLength(0))
    }

    @Test func commandLengthAboveMaximumIsBad_C_ERR_2() {
        #expect(frame(hex("00001001 00000015"), max: 4096) == .badCommandLength(4097))
        #expect(frame(hex("FFFFFFFF"), max: 4096) == .badCommandLength(0xFFFF_FFFF))
        #expect(frame(hex("00001000"), max: 4096) == .needMoreBytes)
    }

    @Test func payloadCommandsMayUseTheLargerLimit_C_ERR_2() {
        // 70 KiB allowed for submit_sm / deliver_sm / data_sm / submit_multi only.
        let big = hex("00011000")  // 69632
        #expect(frame(big, max: 4096, payloadMax: 71680) == .needMoreBytes)
        #expect(frame(big + hex("00000004"), max: 4096, payloadMax: 71680) == .needMoreBytes)
        #expect(frame(big + hex("00000103"), max: 4096, payloadMax: 71680) == .needMoreBytes)
        #expect(frame(big + hex("00000015"), max: 4096, payloadMax: 71680) == .badCommandLength(69632))
        #expect(frame(hex("00011801 00000004"), max: 4096, payloadMax: 71680) == .badCommandLength(71681))
    }

    @Test func peekHeaderReadsTheSequenceNumberForGenericNack() {
        let h = Vectors.submitSM.withUnsafeBytes { PDUFramer.peekHeader($0) }
        #expect(h == PDUHeader(commandLength: 116, commandID: .submit_sm, commandStatus: .ESME_ROK, sequenceNumber: 10))
        #expect(Array(Vectors.submitSM.prefix(15)).withUnsafeBytes { PDUFramer.peekHeader($0) } == nil)
    }

    @Test func streamOfPDUsFramesAtEverySplitPoint() {
        let stream = Vectors.all.flatMap(\.bytes)
        // Feed the stream in chunks of every size from 1 to 40 bytes; the framer must find
        // exactly the vectors, in order.
        for chunk in 1...40 {
            var pending: [UInt8] = []
            var found: [Int] = []
            var offset = 0
            while offset < stream.count {
                pending += stream[offset..<min(offset + chunk, stream.count)]
                offset += chunk
                while case .pdu(let n) = frame(pending) {
                    found.append(n)
                    #expect(decodeError(Array(pending.prefix(n))) == nil || Array(pending.prefix(n)).count == 16)
                    pending.removeFirst(n)
                }
            }
            #expect(found == Vectors.all.map(\.bytes.count), "chunk \(chunk)")
            #expect(pending.isEmpty)
        }
    }
}
