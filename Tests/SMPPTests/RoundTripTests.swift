// Encode → decode → encode round trips: every PDU type with randomized field values from a
// seeded generator, and every TLV of the v3.4 table at its shortest and longest length.
import SMPP
import Testing

/// Random PDU values; every string respects its field's maximum, so every PDU encodes.
struct RandomPDUs {
    var rng: SplitMix64
    let arena = Arena()

    mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }
    mutating func byte() -> UInt8 { UInt8.random(in: 0...255, using: &rng) }
    mutating func seq() -> UInt32 { UInt32.random(in: 0...UInt32.max, using: &rng) }
    mutating func status() -> CommandStatus { CommandStatus(rawValue: int(0...3) == 0 ? 0 : UInt32(int(1...0x4FF))) }

    /// Printable ASCII (no NUL) of 0...maxCount characters.
    mutating func text(_ maxCount: Int) -> BytesView {
        let n = int(0...maxCount)
        return arena.view((0..<n).map { _ in UInt8(int(0x20...0x7E)) })
    }

    /// Any octets, NULs included.
    mutating func octets(_ maxCount: Int) -> BytesView { let n = int(0...maxCount); return arena.view((0..<n).map { _ in byte() }) }

    mutating func time() -> BytesView { int(0...1) == 0 ? .empty : arena.view("2401011200000\(int(0...3))0+") }

    mutating func tlvs() -> TLVList {
        var enc = TLVEncoder(unsafeBuffer: arena.scratch(512))
        for _ in 0..<int(0...3) {
            switch int(0...4) {
            case 0: enc.append(.sar_msg_ref_num, uint16: UInt16(int(0...65535)))
            case 1: enc.append(.message_payload, octets(100))
            case 2: enc.appendCString(.receipted_message_id, text(64))
            case 3: enc.append(.qos_time_to_live, uint32: seq())
            default: enc.append(TLVTag(rawValue: UInt16(int(0x1400...0x3FFF))), octets(20))
            }
        }
        return enc.tlvs
    }

    mutating func destList() -> DestAddressList {
        var bytes: [UInt8] = []
        let n = int(1...5)
        for _ in 0..<n {
            if int(0...1) == 0 {
                bytes += [1, byte(), byte()] + text(20).makeArray() + [0]
            } else {
                bytes += [2] + text(20).makeArray() + [0]
            }
        }
        return DestAddressList(count: n, bytes: arena.view(bytes))
    }

    mutating func unsuccessList() -> UnsuccessSMEList {
        var bytes: [UInt8] = []
        let n = int(0...3)
        for _ in 0..<n { bytes += [byte(), byte()] + text(20).makeArray() + [0, 0, 0, 0, UInt8(int(1...0x67))] }
        return UnsuccessSMEList(count: n, bytes: arena.view(bytes))
    }

    /// One random PDU of each of the 27 kinds (requests with status 0, as real peers send).
    mutating func all() -> [any EncodablePDU] {
        var submit = SubmitSM(sequenceNumber: seq(), sourceAddrTon: TON(rawValue: byte()), sourceAddrNpi: NPI(rawValue: byte()),
                              sourceAddr: text(20), destAddrTon: TON(rawValue: byte()), destAddrNpi: NPI(rawValue: byte()),
                              destinationAddr: text(20), registeredDelivery: byte(), dataCoding: byte(), shortMessage: octets(254), tlvs: tlvs())
        submit.serviceType = text(5)
        submit.esmClass = byte(); submit.protocolID = byte(); submit.priorityFlag = byte()
        submit.scheduleDeliveryTime = time(); submit.validityPeriod = time()
        submit.replaceIfPresentFlag = byte(); submit.smDefaultMsgID = byte()
        var deliver = DeliverSM(sequenceNumber: seq(), sourceAddr: text(20), destinationAddr: text(20), esmClass: byte(),
                                dataCoding: byte(), shortMessage: octets(254), tlvs: tlvs())
        if int(0...1) == 0 {
            deliver.receiptedMessageID = text(64); deliver.messageState = byte()
            deliver.networkErrorCode = NetworkErrorCode(networkType: byte(), errorCode: UInt16(int(0...65535)))
        }
        var multi = SubmitMulti(sequenceNumber: seq(), sourceAddr: text(20), destAddresses: destList(), shortMessage: octets(254), tlvs: tlvs())
        multi.validityPeriod = time()
        let kinds: [BindKind] = [.transmitter, .receiver, .transceiver]
        let kind = kinds[int(0...2)]
        return [
            Bind(kind: kind, sequenceNumber: seq(), systemID: text(15), password: text(8), systemType: text(12),
                 interfaceVersion: byte(), addrTon: TON(rawValue: byte()), addrNpi: NPI(rawValue: byte()), addressRange: text(40)),
            BindResp(kind: kind, sequenceNumber: seq(), status: status(), systemID: text(15),
                     scInterfaceVersion: int(0...1) == 0 ? nil : byte(), tlvs: tlvs()),
            Outbind(sequenceNumber: seq(), systemID: text(15), password: text(8)),
            Unbind(sequenceNumber: seq()), UnbindResp(sequenceNumber: seq(), status: status()),
            GenericNack(sequenceNumber: seq(), status: status()),
            submit, SubmitSMResp(sequenceNumber: seq(), status: status(), messageID: text(64)),
            multi, SubmitMultiResp(sequenceNumber: seq(), status: status(), messageID: text(64), unsuccessSMEs: unsuccessList()),
            deliver, DeliverSMResp(sequenceNumber: seq(), status: status(), messageID: text(64)),
            DataSM(sequenceNumber: seq(), serviceType: text(5), sourceAddr: text(64), destinationAddr: text(64), esmClass: byte(),
                   registeredDelivery: byte(), dataCoding: byte(), tlvs: tlvs()),
            DataSMResp(sequenceNumber: seq(), status: status(), messageID: text(64), tlvs: tlvs()),
            QuerySM(sequenceNumber: seq(), messageID: text(64), sourceAddr: text(20)),
            QuerySMResp(sequenceNumber: seq(), status: status(), messageID: text(64), finalDate: time(), messageState: byte(), errorCode: byte()),
            CancelSM(sequenceNumber: seq(), serviceType: text(5), messageID: text(64), sourceAddr: text(20), destinationAddr: text(20)),
            CancelSMResp(sequenceNumber: seq(), status: status()),
            ReplaceSM(sequenceNumber: seq(), messageID: text(64), sourceAddr: text(20), scheduleDeliveryTime: time(), validityPeriod: time(),
                      registeredDelivery: byte(), smDefaultMsgID: byte(), shortMessage: octets(254)),
            ReplaceSMResp(sequenceNumber: seq(), status: status()),
            EnquireLink(sequenceNumber: seq()), EnquireLinkResp(sequenceNumber: seq(), status: status()),
            AlertNotification(sequenceNumber: seq(), sourceAddr: text(64), esmeAddr: text(64), msAvailabilityStatus: int(0...1) == 0 ? nil : byte()),
        ]
    }
}

@Suite struct RoundTripTests {
    @Test func randomizedRoundTripOfEveryPDUType() {
        var gen = RandomPDUs(rng: SplitMix64(seed: 0x5A17_2024))
        var seen = Set<UInt32>()
        for round in 0..<200 {
            for pdu in gen.all() {
                guard let bytes = encodeToArray(pdu) else { Issue.record("round \(round): \(pdu.commandID) did not encode"); continue }
                withDecoded(bytes) { result in
                    switch result {
                    case .failure(let e): Issue.record("round \(round): \(e) for \(hexString(bytes))")
                    case .success(let decoded):
                        seen.insert(decoded.commandID.rawValue)
                        #expect(decoded.commandID == pdu.commandID && decoded.sequenceNumber == pdu.sequenceNumber)
                        #expect(decoded.commandStatus == pdu.commandStatus)
                        #expect(encodeToArray(decoded.pdu) == bytes, "round \(round): \(pdu.commandID)")
                    }
                }
            }
        }
        // All three binds and their responses appear across 200 rounds.
        #expect(seen.count == CommandID.allKnown.count)
    }

    @Test func randomizedSubmitSMFieldsSurviveTheRoundTrip() {
        var gen = RandomPDUs(rng: SplitMix64(seed: 42))
        for _ in 0..<500 {
            let source = gen.text(20), dest = gen.text(20), text = gen.octets(254), dc = gen.byte()
            let s = SubmitSM(sequenceNumber: gen.seq(), sourceAddr: source, destinationAddr: dest, registeredDelivery: 1,
                             dataCoding: dc, shortMessage: text)
            let bytes = encodeToArray(s)!
            withDecoded(bytes) { result in
                guard case .success(.submitSM(let d)) = result else { Issue.record("\(result)"); return }
                #expect(d.sourceAddr == source && d.destinationAddr == dest && d.shortMessage == text && d.dataCoding == dc)
            }
        }
    }

    @Test(arguments: TLVTag.allKnown)
    func everyTLVRoundTripsAtItsShortestAndLongestLength(_ tag: TLVTag) {
        let arena = Arena()
        let range = tag.valueLengthRange!
        for length in Set([range.lowerBound, min(range.upperBound, 300)]) {
            let value = arena.view((0..<length).map { UInt8(truncatingIfNeeded: $0 &+ 1) })
            var enc = TLVEncoder(unsafeBuffer: arena.scratch(400))
            enc.append(tag, value)
            #expect(enc.isComplete)
            let pdu = DataSM(sequenceNumber: 1, sourceAddr: BytesView("1"), destinationAddr: BytesView("2"), tlvs: enc.tlvs)
            let bytes = encodeToArray(pdu)!
            withDecoded(bytes) { result in
                guard case .success(.dataSM(let d)) = result else { Issue.record("\(tag): \(result)"); return }
                let tlv = d.tlvs.first(tag)
                #expect(tlv?.value == value, "\(tag)")
                #expect(Array(d.tlvs).count == 1)
            }
        }
    }

    @Test(arguments: TLVTag.allKnown.filter { $0.valueLengthRange!.upperBound < 300 })
    func everyTLVOutsideItsLengthIsESME_RINVPARLEN(_ tag: TLVTag) {
        let range = tag.valueLengthRange!
        var lengths = [range.upperBound + 1]
        if range.lowerBound > 0 { lengths.append(range.lowerBound - 1) }
        for length in lengths {
            let tlv = [UInt8(tag.rawValue >> 8), UInt8(tag.rawValue & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF)] + [UInt8](repeating: 7, count: length)
            let bytes = fixLength(header(0x103) + c("") + hex("01 01") + c("1") + hex("01 01") + c("2") + hex("00 00 00") + tlv)
            let e = decodeError(bytes)
            #expect(e?.fieldName == tag.name && e?.status == .ESME_RINVPARLEN, "\(tag) length \(length)")
        }
    }
}
