// Decoding hand-assembled spec vectors field by field, and encoding values built by hand back
// to exactly those bytes.
import SMPP
import Testing

/// Decodes `bytes`, expecting success, and hands the PDU to `check` while the bytes are alive.
func expectDecodes(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation, _ check: (DecodedPDU) -> Void) {
    withDecoded(bytes) { result in
        switch result {
        case .success(let pdu): check(pdu)
        case .failure(let error): Issue.record("decode failed: \(error)", sourceLocation: sourceLocation)
        }
    }
}

/// Encodes `pdu` and expects exactly `bytes`.
func expectEncodes(_ pdu: some EncodablePDU, to bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
    let out = encodeToArray(pdu)
    #expect(out.map(hexString) == hexString(bytes), sourceLocation: sourceLocation)
}

@Suite struct PDUVectorTests {
    let arena = Arena()

    @Test func vectorLengthsMatchCommandLength() {
        for (name, bytes) in Vectors.all {
            let length = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
            #expect(length == bytes.count, "\(name)")
        }
    }

    @Test func everyVectorDecodesAndReencodesByteExact() {
        for (name, bytes) in Vectors.all {
            withDecoded(bytes) { result in
                guard case .success(let pdu) = result else { Issue.record("\(name): \(result)"); return }
                let again = encodeToArray(pdu.pdu)
                if name.hasSuffix("_error") {
                    // An error response whose body was omitted re-encodes with its (empty) fields
                    // written; ErrorResponse is the encoder for the bare header.
                    #expect(again.map(hexString) == hexString(Array(bytes[0..<3]) + [0x11] + Array(bytes[4...]) + [0]), "\(name)")
                } else {
                    #expect(again.map(hexString) == hexString(bytes), "\(name)")
                }
            }
        }
    }

    @Test func decodedPDUEncodesWithoutBoxing() {
        for (name, bytes) in Vectors.all where !name.hasSuffix("_error") {
            withDecoded(bytes) { result in
                guard case .success(let pdu) = result else { Issue.record("\(name)"); return }
                var out = [UInt8](repeating: 0, count: 512)
                let n = out.withUnsafeMutableBytes { pdu.encode(into: $0) }
                #expect(n == .wrote(bytes.count) && Array(out.prefix(bytes.count)) == bytes, "\(name)")
            }
        }
    }

    @Test func bindTransmitterDecodesEveryField() {
        expectDecodes(Vectors.bindTransmitter) { pdu in
            guard case .bindTransmitter(let b) = pdu else { Issue.record("\(pdu)"); return }
            #expect(b.kind == .transmitter && b.sequenceNumber == 1)
            #expect(b.systemID == "smppclient1" && b.password == "password" && b.systemType.isEmpty)
            #expect(b.interfaceVersion == 0x34 && b.addrTon == .international && b.addrNpi == .isdn)
            #expect(b.addressRange.isEmpty && b.tlvs.isEmpty)
        }
        let b = Bind(kind: .transmitter, sequenceNumber: 1, systemID: BytesView("smppclient1"), password: BytesView("password"),
                     addrTon: .international, addrNpi: .isdn)
        expectEncodes(b, to: Vectors.bindTransmitter)
    }

    @Test func bindReceiverAndTransceiverDecode() {
        expectDecodes(Vectors.bindReceiver) { pdu in
            guard case .bindReceiver(let b) = pdu else { Issue.record("\(pdu)"); return }
            #expect(b.kind == .receiver && b.addressRange == "^44" && b.addrTon == .unknown)
        }
        expectDecodes(Vectors.bindTransceiver) { pdu in
            guard case .bindTransceiver(let b) = pdu else { Issue.record("\(pdu)"); return }
            #expect(b.kind == .transceiver && b.systemType == "VMA" && b.commandID == .bind_transceiver)
        }
    }

    @Test func bindRespWritesScInterfaceVersionTLV() {
        expectEncodes(BindResp(kind: .transmitter, sequenceNumber: 1, systemID: BytesView("SMPPD"), scInterfaceVersion: 0x34),
                      to: Vectors.bindTransmitterResp)
        expectDecodes(Vectors.bindTransmitterResp) { pdu in
            guard case .bindTransmitterResp(let r) = pdu else { Issue.record("\(pdu)"); return }
            #expect(r.systemID == "SMPPD" && r.tlvs.scInterfaceVersion == 0x34)
        }
        expectEncodes(BindResp(kind: .transceiver, sequenceNumber: 3, systemID: BytesView("SMPPD")), to: Vectors.bindTransceiverResp)
    }

    @Test func bindRespErrorWithOmittedBodyDecodes_C_BIND_2() {
        expectDecodes(Vectors.bindReceiverRespError) { pdu in
            guard case .bindReceiverResp(let r) = pdu else { Issue.record("\(pdu)"); return }
            #expect(r.commandStatus == .ESME_RINVPASWD && r.systemID.isEmpty)
        }
        expectEncodes(ErrorResponse(commandID: .bind_receiver_resp, sequenceNumber: 2, status: .ESME_RINVPASWD),
                      to: Vectors.bindReceiverRespError)
    }

    @Test func outbindRoundTrips() {
        expectEncodes(Outbind(sequenceNumber: 4, systemID: BytesView("smppd"), password: BytesView("secret")), to: Vectors.outbind)
        expectDecodes(Vectors.outbind) { pdu in
            guard case .outbind(let o) = pdu else { Issue.record("\(pdu)"); return }
            #expect(o.systemID == "smppd" && o.password == "secret")
        }
    }

    @Test func headerOnlyPDUsEncodeToSpecHeaders() {
        expectEncodes(Unbind(sequenceNumber: 7), to: Vectors.unbind)
        expectEncodes(UnbindResp(sequenceNumber: 7), to: Vectors.unbindResp)
        expectEncodes(GenericNack(sequenceNumber: 9, status: .ESME_RINVCMDID), to: Vectors.genericNack)
        expectEncodes(CancelSMResp(sequenceNumber: 0x10), to: Vectors.cancelSMResp)
        expectEncodes(ReplaceSMResp(sequenceNumber: 0x11, status: .ESME_RREPLACEFAIL), to: Vectors.replaceSMResp)
        expectEncodes(EnquireLink(sequenceNumber: 0x12), to: Vectors.enquireLink)
        expectEncodes(EnquireLinkResp(sequenceNumber: 0x12), to: Vectors.enquireLinkResp)
        expectDecodes(Vectors.enquireLink) { pdu in
            guard case .enquireLink(let e) = pdu else { Issue.record("\(pdu)"); return }
            #expect(e.sequenceNumber == 0x12)
        }
        expectDecodes(Vectors.genericNack) { pdu in
            guard case .genericNack(let n) = pdu else { Issue.record("\(pdu)"); return }
            #expect(n.commandStatus == .ESME_RINVCMDID && n.sequenceNumber == 9)
        }
    }

    @Test func typicalSubmitSMDecodesEveryField() {
        #expect(Vectors.submitSM.count == 116)
        expectDecodes(Vectors.submitSM) { pdu in
            guard case .submitSM(let s) = pdu else { Issue.record("\(pdu)"); return }
            #expect(s.sequenceNumber == 10 && s.serviceType.isEmpty)
            #expect(s.sourceAddrTon == .international && s.sourceAddrNpi == .isdn && s.sourceAddr == "447700900123")
            #expect(s.destAddrTon == .international && s.destAddrNpi == .isdn && s.destinationAddr == "447700900456")
            #expect(s.esmClass == 0 && s.protocolID == 0 && s.priorityFlag == 0)
            #expect(s.scheduleDeliveryTime.isEmpty && s.validityPeriod.isEmpty)
            #expect(s.registeredDelivery == 1 && s.replaceIfPresentFlag == 0 && s.dataCoding == 0 && s.smDefaultMsgID == 0)
            #expect(s.shortMessage.count == 59 && s.shortMessage.makeString() == typicalText)
            #expect(s.tlvs.isEmpty)
        }
        let s = SubmitSM(sequenceNumber: 10, sourceAddr: arena.view("447700900123"), destinationAddr: arena.view("447700900456"),
                         registeredDelivery: 1, shortMessage: arena.view(typicalText))
        expectEncodes(s, to: Vectors.submitSM)
    }

    @Test func submitSMKeepsKnownAndUnknownTLVs() {
        expectDecodes(Vectors.submitSMWithTLVs) { pdu in
            guard case .submitSM(let s) = pdu else { Issue.record("\(pdu)"); return }
            #expect(s.serviceType == "CMT" && s.priorityFlag == 1 && s.validityPeriod == "000001000000000R")
            #expect(s.tlvs.sarMsgRefNum == 0x1234 && s.tlvs.sarTotalSegments == 2 && s.tlvs.sarSegmentSeqnum == 1)
            let tags = s.tlvs.map(\.tag.rawValue)
            #expect(tags == [0x020C, 0x020E, 0x020F, 0x1401])
            #expect(s.tlvs.first(TLVTag(rawValue: 0x1401))?.value == "abc")
            #expect(s.tlvs.messagePayload == nil)
        }
    }

    @Test func submitSMRespCarriesMessageID_C_SUB_1() {
        expectEncodes(SubmitSMResp(sequenceNumber: 10, messageID: BytesView("msg-0001")), to: Vectors.submitSMResp)
        expectEncodes(ErrorResponse(commandID: .submit_sm_resp, sequenceNumber: 10, status: .ESME_RSUBMITFAIL),
                      to: Vectors.submitSMRespError)
        expectDecodes(Vectors.submitSMRespError) { pdu in
            guard case .submitSMResp(let r) = pdu else { Issue.record("\(pdu)"); return }
            #expect(r.commandStatus == .ESME_RSUBMITFAIL && r.messageID.isEmpty)
        }
    }

    @Test func submitMultiListsDestinations() {
        expectDecodes(Vectors.submitMulti) { pdu in
            guard case .submitMulti(let m) = pdu else { Issue.record("\(pdu)"); return }
            #expect(m.destAddresses.count == 2 && m.shortMessage == "hi" && m.sourceAddr == "12345678")
            let dests = Array(m.destAddresses)
            #expect(dests.count == 2)
            if case .smeAddress(let ton, let npi, let address) = dests.first {
                #expect(ton == .international && npi == .isdn && address == "447700900123")
            } else { Issue.record("first dest") }
            if case .distributionList(let name) = dests.last { #expect(name == "friends") } else { Issue.record("dl") }
        }
        expectDecodes(Vectors.submitMultiResp) { pdu in
            guard case .submitMultiResp(let r) = pdu else { Issue.record("\(pdu)"); return }
            let failed = Array(r.unsuccessSMEs)
            #expect(r.messageID == "m1" && failed.count == 1)
            #expect(failed.first?.destinationAddr == "447700900456" && failed.first?.errorStatusCode == .ESME_RINVDSTADR)
        }
    }

    @Test func deliverSMReceiptEncodesWithReceiptTLVs_C_DLV_1() {
        let d = DeliverSM(sequenceNumber: 13, sourceAddr: arena.view("447700900456"), destinationAddr: arena.view("447700900123"),
                          esmClass: 0x04, shortMessage: arena.view(receiptText), receiptedMessageID: BytesView("msg-0001"),
                          messageState: 2, networkErrorCode: NetworkErrorCode(networkType: 3, errorCode: 0))
        expectEncodes(d, to: Vectors.deliverSMReceipt)
        expectDecodes(Vectors.deliverSMReceipt) { pdu in
            guard case .deliverSM(let r) = pdu else { Issue.record("\(pdu)"); return }
            #expect(r.esmClass == 0x04 && r.shortMessage.makeString() == receiptText)
            #expect(r.tlvs.receiptedMessageID == "msg-0001" && r.tlvs.messageState == 2)
            #expect(r.tlvs.networkErrorCode == NetworkErrorCode(networkType: 3, errorCode: 0))
        }
    }

    @Test func deliverSMRespDecodes() {
        expectEncodes(DeliverSMResp(sequenceNumber: 13), to: Vectors.deliverSMResp)
        expectDecodes(Vectors.deliverSMResp) { pdu in
            guard case .deliverSMResp(let r) = pdu else { Issue.record("\(pdu)"); return }
            #expect(r.sequenceNumber == 13 && r.commandStatus == .ESME_ROK && r.messageID.isEmpty)
        }
    }

    @Test func dataSMAndRespCarryTLVs() {
        expectDecodes(Vectors.dataSM) { pdu in
            guard case .dataSM(let d) = pdu else { Issue.record("\(pdu)"); return }
            #expect(d.serviceType == "WAP" && d.registeredDelivery == 1 && d.dataCoding == 4)
            #expect(d.tlvs.messagePayload == "hello" && d.tlvs.uint16(.source_port) == 0x0B84)
        }
        let arena = Arena()
        var enc = TLVEncoder(unsafeBuffer: arena.scratch(16))
        enc.append(.delivery_failure_reason, uint8: 0)
        #expect(enc.isComplete)
        expectEncodes(DataSMResp(sequenceNumber: 14, messageID: BytesView("d1"), tlvs: enc.tlvs), to: Vectors.dataSMResp)
    }

    @Test func querySMAndRespRoundTrip_C_MGT_1() {
        expectEncodes(QuerySM(sequenceNumber: 15, messageID: BytesView("msg-0001"), sourceAddr: BytesView("447700900123")),
                      to: Vectors.querySM)
        expectEncodes(QuerySMResp(sequenceNumber: 15, messageID: BytesView("msg-0001"), finalDate: BytesView("240101120100000+"),
                                  messageState: 2), to: Vectors.querySMResp)
        expectDecodes(Vectors.querySMResp) { pdu in
            guard case .querySMResp(let q) = pdu else { Issue.record("\(pdu)"); return }
            #expect(q.finalDate == "240101120100000+" && q.messageState == 2 && q.errorCode == 0)
        }
    }

    @Test func cancelAndReplaceRoundTrip_C_MGT_2() {
        expectEncodes(CancelSM(sequenceNumber: 16, messageID: BytesView("msg-0001"), sourceAddr: BytesView("447700900123"),
                               destinationAddr: BytesView("447700900456")), to: Vectors.cancelSM)
        expectEncodes(ReplaceSM(sequenceNumber: 17, messageID: BytesView("msg-0001"), sourceAddr: BytesView("447700900123"),
                                registeredDelivery: 1, shortMessage: BytesView("hello")), to: Vectors.replaceSM)
        expectDecodes(Vectors.cancelSM) { pdu in
            guard case .cancelSM(let x) = pdu else { Issue.record("\(pdu)"); return }
            #expect(x.messageID == "msg-0001" && x.destinationAddr == "447700900456")
        }
    }

    @Test func alertNotificationWritesAvailabilityTLV() {
        expectEncodes(AlertNotification(sequenceNumber: 19, sourceAddr: BytesView("447700900123"), esmeAddr: BytesView("12345"),
                                        msAvailabilityStatus: 0), to: Vectors.alertNotification)
    }

    @Test func decodedAccessorsReportHeader() {
        expectDecodes(Vectors.submitSMResp) { pdu in
            #expect(pdu.commandID == .submit_sm_resp && pdu.sequenceNumber == 10 && pdu.commandStatus == .ESME_ROK)
        }
    }
}
