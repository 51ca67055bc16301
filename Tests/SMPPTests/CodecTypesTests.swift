// Status codes, command ids, TON/NPI, BytesView and the encoder's error outcomes.
import SMPP
import Testing

@Suite struct CodecTypesTests {
    @Test func addressAndBindStatusesFollowTheSpecification_C_ERR_1() {
        #expect(CommandStatus.ESME_RINVSRCADR.rawValue == 0x0A)
        #expect(CommandStatus.ESME_RINVDSTADR.rawValue == 0x0B)
        #expect(CommandStatus.ESME_RBINDFAIL.rawValue == 0x0D)
        #expect(CommandStatus.ESME_RINVPASWD.rawValue == 0x0E)
        #expect(CommandStatus.ESME_RALYBND.rawValue == 0x05 && CommandStatus.ESME_RINVBNDSTS.rawValue == 0x04)
        #expect(CommandStatus.ESME_RSUBMITFAIL.rawValue == 0x45 && CommandStatus.ESME_RTHROTTLED.rawValue == 0x58)
        #expect(CommandStatus.ESME_RINVSCHED.rawValue == 0x61 && CommandStatus.ESME_RQUERYFAIL.rawValue == 0x67)
        #expect(CommandStatus.ESME_RCANCELFAIL.rawValue == 0x11 && CommandStatus.ESME_RMSGQFUL.rawValue == 0x14)
        #expect(CommandStatus.ESME_RINVSRCTON.rawValue == 0x48 && CommandStatus.ESME_RINVDSTNPI.rawValue == 0x51)
    }

    @Test func statusNamesAreTheSpecNames() {
        #expect(CommandStatus.ESME_RINVMSGLEN.name == "ESME_RINVMSGLEN")
        #expect(CommandStatus.ESME_RINVMSGLEN.specText == "Message Length is invalid")
        #expect(CommandStatus(rawValue: 0x09).name == "unknown" && !CommandStatus(rawValue: 0x09).isKnown)
        #expect(CommandStatus(rawValue: 0x400).description == "unknown(0x00000400)")
        #expect(CommandStatus.allKnown.count == 48)
        #expect(Set(CommandStatus.allKnown.map(\.name)).count == 48)
        for s in CommandStatus.allKnown { #expect(s.name.hasPrefix("ESME_R")) }
    }

    @Test func commandIDsKnowTheirResponses() {
        #expect(CommandID.submit_sm.response == .submit_sm_resp)
        #expect(CommandID.bind_transceiver.response.rawValue == 0x8000_0009)
        #expect(CommandID.generic_nack.isResponse && !CommandID.enquire_link.isResponse)
        #expect(CommandID.submit_sm.name == "submit_sm" && CommandID(rawValue: 0x42).name == "unknown")
        #expect(!CommandID.outbind.hasResponse && !CommandID.alert_notification.hasResponse && CommandID.unbind.hasResponse)
        #expect(CommandID.allKnown.count == 27 && CommandID.allKnown.allSatisfy(\.isKnown))
    }

    @Test func tonAndNpiKnowTheSpecTables_C_SUB_2() {
        #expect((0...6).allSatisfy { TON(rawValue: UInt8($0)).isKnown })
        #expect(!TON(rawValue: 7).isKnown)
        let npis: Set<UInt8> = [0, 1, 3, 4, 6, 8, 9, 10, 14, 18]
        for v in 0...255 { #expect(NPI(rawValue: UInt8(v)).isKnown == npis.contains(UInt8(v))) }
        #expect(TON.international.rawValue == 1 && NPI.isdn.rawValue == 1)
    }

    @Test func tlvTableHasEveryV34Tag() {
        #expect(TLVTag.allKnown.count == 44)
        #expect(TLVTag.receipted_message_id.rawValue == 0x001E && TLVTag.message_state.rawValue == 0x0427)
        #expect(TLVTag.network_error_code.rawValue == 0x0423 && TLVTag.its_session_info.rawValue == 0x1383)
        #expect(TLVTag(rawValue: 0x1400).name == "unknown" && !TLVTag(rawValue: 0x1400).isKnown)
        #expect(Set(TLVTag.allKnown.map(\.name)).count == 44)
    }

    @Test func bytesViewComparesAndSlices() {
        let bytes: [UInt8] = Array("hello\u{0}world".utf8)
        bytes.withUnsafeBytes { raw in
            let v = BytesView(unsafeBorrowing: raw)
            #expect(v.count == 11 && v[0] == 0x68)
            #expect(v.firstZero(from: 0, before: v.count) == 5)
            #expect(v.slice(from: 6, count: 5) == "world")
            #expect(v.slice(from: 6, count: 6) == nil)
            #expect(v.slice(from: 0, count: 5)?.makeString() == "hello")
            #expect(v.description == "hello\\x00world")
            #expect(v == bytes && v != BytesView("hello"))
            #expect(v.bigEndianUInt16(at: 9) == 0x6C64 && v.bigEndianUInt16(at: 10) == nil)
            #expect(Array(v.prefix(2)) == [0x68, 0x65])
        }
        #expect(BytesView().isEmpty && BytesView.empty == BytesView(""))
    }

    @Test func encodeIntoASmallBufferSaysHowMuchItNeeds() {
        let resp = SubmitSMResp(sequenceNumber: 1, messageID: BytesView("msg-0001"))
        var small = [UInt8](repeating: 0, count: 20)
        #expect(small.withUnsafeMutableBytes { resp.encode(into: $0) } == .needs(25))
        var exact = [UInt8](repeating: 0, count: 25)
        #expect(exact.withUnsafeMutableBytes { resp.encode(into: $0) } == .wrote(25))
        #expect(EnquireLink(sequenceNumber: 1).encode(into: UnsafeMutableRawBufferPointer(start: nil, count: 0)) == .needs(16))
    }

    @Test func encodeRejectsFieldsBeyondTheirMaximum() {
        let id65 = String(repeating: "a", count: 65)
        let long = Array(id65.utf8)
        long.withUnsafeBytes { raw in
            let v = BytesView(unsafeBorrowing: raw)
            var buf = [UInt8](repeating: 0, count: 512)
            buf.withUnsafeMutableBytes { out in
                #expect(SubmitSMResp(sequenceNumber: 1, messageID: v).encode(into: out) == .invalidField("message_id"))
                #expect(SubmitSMResp(sequenceNumber: 1, messageID: v.slice(from: 0, count: 64)!).encode(into: out) == .wrote(81))
                let s = SubmitSM(sequenceNumber: 1, sourceAddr: v.slice(from: 0, count: 21)!, destinationAddr: BytesView("1"),
                                 shortMessage: BytesView("x"))
                #expect(s.encode(into: out) == .invalidField("source_addr"))
                var t = SubmitSM(sequenceNumber: 1, sourceAddr: BytesView("1"), destinationAddr: BytesView("1"), shortMessage: BytesView("x"))
                t.validityPeriod = BytesView("12345")
                #expect(t.encode(into: out) == .invalidField("validity_period"))
            }
        }
        let text255 = [UInt8](repeating: 0x41, count: 255)
        text255.withUnsafeBytes { raw in
            let s = SubmitSM(sequenceNumber: 1, sourceAddr: BytesView("1"), destinationAddr: BytesView("2"),
                             shortMessage: BytesView(unsafeBorrowing: raw))
            #expect(encodeToArray(s) == nil)
        }
    }

    @Test func tlvEncoderStopsWhenFull() {
        let arena = Arena()
        var enc = TLVEncoder(unsafeBuffer: arena.scratch(8))
        enc.append(.message_state, uint8: 2)
        enc.append(.sar_msg_ref_num, uint16: 7)
        #expect(!enc.isComplete)
        #expect(Array(enc.tlvs).count == 1 && enc.tlvs.messageState == 2)
    }
}
