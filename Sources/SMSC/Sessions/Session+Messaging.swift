// The message side of a session: submit_sm / data_sm / submit_multi, query_sm, cancel_sm, and
// sending deliver_sm within the window with their responses and timeouts (CONTRACT §4–§6).
// Loop thread only, like Session.
// Unsafe code (allowlisted, STYLE 9.3). Invariant: every view made here points into a
// withUnsafeTemporaryAllocation buffer (or a stack value) and is used only inside that call:
// the encoders copy what they read into the output ring before the buffer goes away.
import Reactor
import Cluster
import SMPP
import Store

extension SubmitFields {
    init(_ p: SubmitSMPDU) {
        self.init(sourceAddrTon: p.sourceAddrTon, sourceAddrNpi: p.sourceAddrNpi, sourceAddr: p.sourceAddr,
                  destAddrTon: p.destAddrTon, destAddrNpi: p.destAddrNpi, destinationAddr: p.destinationAddr,
                  esmClass: p.esmClass, scheduleDeliveryTime: p.scheduleDeliveryTime, validityPeriod: p.validityPeriod,
                  registeredDelivery: p.registeredDelivery, dataCoding: p.dataCoding, shortMessage: p.shortMessage,
                  tlvs: p.tlvs, protocolID: p.protocolID, priorityFlag: p.priorityFlag)
    }

    /// data_sm has no short_message, schedule or validity: the text comes in message_payload.
    init(_ p: DataSMPDU) {
        self.init(sourceAddrTon: p.sourceAddrTon, sourceAddrNpi: p.sourceAddrNpi, sourceAddr: p.sourceAddr,
                  destAddrTon: p.destAddrTon, destAddrNpi: p.destAddrNpi, destinationAddr: p.destinationAddr,
                  esmClass: p.esmClass, scheduleDeliveryTime: .empty, validityPeriod: .empty,
                  registeredDelivery: p.registeredDelivery, dataCoding: p.dataCoding, shortMessage: .empty,
                  tlvs: p.tlvs)
    }
}

extension Session {
    /// Writes `id` as text into a stack buffer and hands a view of it to `body`.
    @discardableResult
    private func withIDText<R>(_ id: MessageID, _ body: (BytesView) -> R) -> R {
        let format = messages.settings.idFormat
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buf in
            body(Self.placeID(id, format: format, in: buf, at: 0))
        }
    }

    /// Writes `id`'s text into scratch[offset ..< offset + 24] and returns a view of it.
    private static func placeID(_ id: MessageID, format: MessageIDFormat,
                                in scratch: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> BytesView {
        var area = UnsafeMutableBufferPointer(rebasing: scratch[offset..<offset + 24])
        // 24 octets hold the longest id text (20 decimal digits): always .written.
        guard case .written(let n) = id.render(format, into: &area) else { return .empty }
        return BytesView(unsafeBorrowing: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(scratch)[offset..<offset + n]))
    }

    func submit(fields: SubmitFields, header: PDUHeader) {
        guard let bound = boundAccount else { return sendStatusResponse(to: header, .ESME_RINVBNDSTS) }
        let outcome = messages.submit(fields, account: bound)
        switch outcome {
        case .refused(let status):
            sendStatusResponse(to: header, status)
        case .accepted(let id):
            messages.holdNextResponse()   // durable mode: an OK leaves once its message is on disk
            withIDText(id) { view in
                if header.commandID == .data_sm {
                    write { DataSMResp(sequenceNumber: header.sequenceNumber, messageID: view).encode(into: $0) }
                } else {
                    write { SubmitSMResp(sequenceNumber: header.sequenceNumber, messageID: view).encode(into: $0) }
                }
            }
        }
        burstSubmits += 1   // its latency is observed when the burst is done
    }

    /// submit_multi: each SME destination is submitted as its own message under the same
    /// rules; the response carries the first accepted id and lists the refused destinations.
    func submitMulti(_ p: SubmitMultiPDU, header: PDUHeader) {
        guard let bound = boundAccount else { return sendStatusResponse(to: header, .ESME_RINVBNDSTS) }
        var firstID: MessageID? = nil
        var firstRefusal: CommandStatus? = nil
        var unsuccess: [UInt8] = []
        var unsuccessCount = 0
        for destination in p.destAddresses {
            let status: CommandStatus
            var ton = TON.unknown, npi = NPI.unknown
            var address = BytesView.empty
            switch destination {
            case .distributionList:
                status = .ESME_RINVDLNAME   // distribution lists are not part of the product
            case .smeAddress(let t, let n, let a):
                ton = t; npi = n; address = a
                let fields = SubmitFields(sourceAddrTon: p.sourceAddrTon, sourceAddrNpi: p.sourceAddrNpi, sourceAddr: p.sourceAddr,
                                          destAddrTon: t, destAddrNpi: n, destinationAddr: a, esmClass: p.esmClass,
                                          scheduleDeliveryTime: p.scheduleDeliveryTime, validityPeriod: p.validityPeriod,
                                          registeredDelivery: p.registeredDelivery, dataCoding: p.dataCoding,
                                          shortMessage: p.shortMessage, tlvs: p.tlvs,
                                          protocolID: p.protocolID, priorityFlag: p.priorityFlag)
                switch messages.submit(fields, account: bound) {
                case .accepted(let id): firstID = firstID ?? id; continue
                case .refused(let s): status = s
                }
            }
            firstRefusal = firstRefusal ?? status
            unsuccessCount += 1
            unsuccess.append(ton.rawValue)
            unsuccess.append(npi.rawValue)
            unsuccess.append(contentsOf: address.makeArray())
            unsuccess.append(0)
            withUnsafeBytes(of: status.rawValue.bigEndian) { unsuccess.append(contentsOf: $0) }
        }
        guard let id = firstID else {
            return sendStatusResponse(to: header, firstRefusal ?? .ESME_RINVNUMDESTS)
        }
        messages.holdNextResponse()
        withIDText(id) { view in
            unsuccess.withUnsafeBytes { raw in
                let list = UnsuccessSMEList(count: unsuccessCount, bytes: BytesView(unsafeBorrowing: raw))
                write(reserving: Session.largestAnswerBytes + raw.count) {
                    SubmitMultiResp(sequenceNumber: header.sequenceNumber, messageID: view, unsuccessSMEs: list).encode(into: $0)
                }
            }
        }
    }

    func query(_ p: QuerySMPDU, header: PDUHeader) {
        guard let account, let record = messages.lookup(p.messageID, account: account) else {
            if let account, askOwner(.query, p.messageID, account: account, header: header) { return }
            return sendStatusResponse(to: header, .ESME_RQUERYFAIL)   // C-MGT-1: unknown or another account's
        }
        var finalDate = record.finalTime.map { SMPPTime.absolute(unixMs: $0) } ?? []
        let messageID = p.messageID
        finalDate.withUnsafeMutableBytes { fd in
            let dateView = BytesView(unsafeBorrowing: UnsafeRawBufferPointer(fd))
            write {
                QuerySMResp(sequenceNumber: header.sequenceNumber, messageID: messageID, finalDate: dateView,
                            messageState: record.state.rawValue, errorCode: UInt8(truncatingIfNeeded: record.errorCode)).encode(into: $0)
            }
        }
    }

    func cancel(_ p: CancelSMPDU, header: PDUHeader) {
        guard let account else { return sendStatusResponse(to: header, .ESME_RINVBNDSTS) }
        if askOwner(.cancel, p.messageID, account: account, header: header) { return }
        let status = messages.cancel(p.messageID, account: account)
        if status == .ESME_ROK { messages.holdNextResponse() }
        write { CancelSMResp(sequenceNumber: header.sequenceNumber, status: status).encode(into: $0) }
    }

    // MARK: Another node's messages (issue 15)

    /// In a cluster, a query_sm or cancel_sm for an id another node issued goes to that node;
    /// the answer comes later (answerRemote). False: the id is this node's, or no cluster.
    private func askOwner(_ kind: RemoteRequest.Kind, _ idBytes: BytesView, account: Account, header: PDUHeader) -> Bool {
        guard let queries = messages.cluster?.queries, let id = messages.messageID(idBytes) else { return false }
        return queries.ask(kind, id: id, text: idBytes.makeArray(), account: account.systemID, session: self, header: header,
                           now: now)
    }

    /// The owner's reply (nil: none in time, or Redis unreachable): the answer the client waits for.
    func answerRemote(_ kind: RemoteRequest.Kind, header: PDUHeader, messageID: [UInt8], reply: RemoteReply?) {
        guard case .bound = phase else { return }
        switch kind {
        case .cancel:
            let status = reply.flatMap { CommandStatus(rawValue: $0.status) } ?? .ESME_RCANCELFAIL
            write { CancelSMResp(sequenceNumber: header.sequenceNumber, status: status).encode(into: $0) }
        case .query:
            guard let reply, reply.status == CommandStatus.ESME_ROK.rawValue else {
                return sendStatusResponse(to: header, .ESME_RQUERYFAIL)
            }
            var finalDate = Array(reply.finalDate.utf8)
            var id = messageID
            id.withUnsafeMutableBytes { idBuffer in
                let idView = BytesView(unsafeBorrowing: UnsafeRawBufferPointer(idBuffer))
                finalDate.withUnsafeMutableBytes { fd in
                    let dateView = BytesView(unsafeBorrowing: UnsafeRawBufferPointer(fd))
                    write {
                        QuerySMResp(sequenceNumber: header.sequenceNumber, messageID: idView, finalDate: dateView,
                                    messageState: reply.state, errorCode: reply.errorCode).encode(into: $0)
                    }
                }
            }
        }
    }

    // MARK: deliver_sm out (C-DLV-*)

    func hasDeliveryRoom(window: Int) -> Bool {
        guard case .bound(let mode) = phase, mode.canReceive else { return false }
        return inFlight.count < window && connection.outputFreeBytes >= Session.largestDeliverBytes
    }

    /// Room kept for one deliver_sm: 254 octets of text, addresses, three TLVs.
    static let largestDeliverBytes = 512

    /// Encodes and sends one deliver_sm; false when it could not be written. The receipt's
    /// variable fields are composed in one stack buffer (no heap allocation per deliver_sm).
    func sendDeliver(_ d: Delivery<DeliveryPayload>, idFormat: MessageIDFormat) -> Bool {
        let seq = takeSequenceNumber()
        // Durable mode: a receipt leaves once the state it reports is on disk (an MO, once it is).
        messages.holdNextWrite(until: d.commit)
        var ok = false
        var submitTime: Int64? = nil
        switch d.payload {
        case .receipt(let r):
            submitTime = r.submitTime
            ok = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Session.receiptScratchBytes) { scratch in
                // Layout: [0,24) id · [24,48) source · [48,72) destination · [72,…) receipt text.
                let id = Self.placeID(r.id, format: idFormat, in: scratch, at: 0)
                let source = Self.place(r.destination.digits, in: scratch, at: 24)
                let destination = Self.place(r.source.digits, in: scratch, at: 48)
                var textArea = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(scratch)[72...])
                let done = CivilDateTime(unixSeconds: (r.finalTime ?? now) / 1000)
                guard case .written(let n) = ReceiptText.format(
                    id: id, state: r.state, submitDate: CivilDateTime(unixSeconds: r.submitTime / 1000),
                    doneDate: done, errorCode: Int(r.errorCode), text: r.receiptText, textCoding: .ascii, into: &textArea)
                else { return false }
                let text = BytesView(unsafeBorrowing: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(textArea)[0..<n]))
                return write(reserving: Session.largestDeliverBytes) {
                    DeliverSM(sequenceNumber: seq, sourceAddrTon: TON(rawValue: r.destination.ton), sourceAddrNpi: NPI(rawValue: r.destination.npi),
                              sourceAddr: source, destAddrTon: TON(rawValue: r.source.ton), destAddrNpi: NPI(rawValue: r.source.npi),
                              destinationAddr: destination, esmClass: 0x04, dataCoding: 0, shortMessage: text,
                              receiptedMessageID: id, messageState: r.state.rawValue,
                              networkErrorCode: NetworkErrorCode(networkType: 3, errorCode: r.errorCode)).encode(into: $0)
                }
            }
        case .mobileOriginated(let mo):
            ok = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { scratch in
                let source = Self.place(mo.source.digits, in: scratch, at: 0)
                let destination = Self.place(mo.destination.digits, in: scratch, at: 24)
                return mo.shortMessage.withUnsafeBytes { m in
                    write(reserving: Session.largestDeliverBytes) {
                        DeliverSM(sequenceNumber: seq, sourceAddrTon: TON(rawValue: mo.source.ton), sourceAddrNpi: NPI(rawValue: mo.source.npi),
                                  sourceAddr: source, destAddrTon: TON(rawValue: mo.destination.ton), destAddrNpi: NPI(rawValue: mo.destination.npi),
                                  destinationAddr: destination, esmClass: mo.esmClass, dataCoding: mo.dataCoding.rawValue,
                                  shortMessage: BytesView(unsafeBorrowing: m)).encode(into: $0)
                    }
                }
            }
        }
        guard ok else { return false }
        metrics.deliverSent(receipt: submitTime != nil)   // only receipts carry a submit time
        let sentAt = now
        inFlight[seq] = InFlightDelivery(token: d.token, sentAtMs: sentAt, submitTime: submitTime)
        // This delivery's response deadline is the latest in flight (all share one timeout),
        // so a timer already armed at or before it stays right; recomputing the earliest
        // deadline would walk every delivery in flight, per deliver_sm.
        let deadline = sentAt + messages.settings.deliveryResponseTimeoutMs
        if !(timerDeadlineMs != 0 && timerDeadlineMs <= deadline && timerDeadlineMs > sentAt) { rearmTimer() }
        return true
    }

    /// 3 × 24 bytes of id and addresses, then room for the receipt text (C-DLV-1's ~150 bytes).
    static let receiptScratchBytes = 72 + 256

    /// Copies `bytes` (at most 24) into `scratch` at `offset`; a view of the copy.
    private static func place(_ bytes: ShortBytes, in scratch: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> BytesView {
        var n = 0
        for b in bytes where n < 24 { scratch[offset + n] = b; n += 1 }
        return BytesView(unsafeBorrowing: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(scratch)[offset..<offset + n]))
    }

    /// deliver_sm_resp (or generic_nack) for one of ours.
    func deliveryAnswered(sequenceNumber: UInt32, status: CommandStatus) {
        guard let f = inFlight.removeValue(forKey: sequenceNumber), let a = boundAccount else { return }
        messages.deliveryAnswered(f.token, status: status, account: a, submitTime: f.submitTime)
    }

    var oldestInFlightMs: Int64? { inFlight.values.lazy.map(\.sentAtMs).min() }

    /// deliver_sm unanswered past the response timeout are retried later (C-DLV-3).
    func expireDeliveries(nowMs: Int64) {
        guard !inFlight.isEmpty, let a = boundAccount else { return }
        let limit = messages.settings.deliveryResponseTimeoutMs
        for (seq, f) in inFlight where f.sentAtMs + limit <= nowMs {
            inFlight[seq] = nil
            messages.deliveryAnswered(f.token, status: nil, account: a, submitTime: nil)
        }
    }
}
