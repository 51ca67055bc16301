// UpstreamChannel: the byte boundary of one upstream connection. As its ConnectionDelegate it
// frames and decodes the upstream's PDUs and hands each, decoded, to its UpstreamSession; it
// encodes what the session sends (bind, submit_sm from an OutboundMessage, the small PDUs)
// straight into the connection's output ring with the SMPP codec. Loop thread only.
// Unsafe code (allowlisted, STYLE 9.3): the Connection lends its ring memory as
// Unsafe*RawBufferPointer for the duration of one call (sliced here, never kept), and a
// message's bytes are lent to the encoders as BytesView(unsafeBorrowing:) only inside the
// withUnsafeBytes / withContiguousStorageIfAvailable call that keeps them alive.

import Reactor
import SMPP

final class UpstreamChannel: ConnectionDelegate {
    /// Largest PDU taken from the upstream (a deliver_sm with message_payload).
    static let maxPDULength = 72 * 1024

    let connection: Connection
    /// The session owns this channel, so it outlives it.
    unowned let session: UpstreamSession

    init(connection: Connection, session: UpstreamSession) {
        self.connection = connection
        self.session = session
    }

    // MARK: ConnectionDelegate

    func connectionDidBecomeReady(_ connection: Connection) {
        session.channelDidBecomeReady(self)
    }

    func connection(_ connection: Connection, didReceive bytes: UnsafeRawBufferPointer) -> Int {
        session.channelWillHandleBurst(self)
        let consumed = consume(bytes)
        session.channelDidHandleBurst(self)
        return consumed
    }

    func connectionDidClose(_ connection: Connection, reason: CloseReason) {
        session.channelDidClose(self, reason: reason)
    }

    /// Whole PDUs, one at a time, until the bytes end, the session asks to stop (back-pressure:
    /// the PDU is offered again with the next bytes) or the connection closes.
    private func consume(_ bytes: UnsafeRawBufferPointer) -> Int {
        // One strong reference for the loop: each use of an unowned one retains and releases.
        let session = self.session
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            switch PDUFramer.frame(rest, maxPDULength: Self.maxPDULength) {
            case .needMoreBytes:
                return offset
            case let .badCommandLength(length):
                session.channel(self, badCommandLength: length)
                return offset
            case let .pdu(length):
                let handled: Bool
                switch PDUDecoder.decode(UnsafeRawBufferPointer(rebasing: rest[..<length])) {
                case let .success(pdu): handled = session.channel(self, received: pdu)
                case let .failure(error): handled = session.channel(self, undecodable: error)
                }
                guard handled else { return offset }
                offset += length
                if !connection.isOpen { return offset }
            }
        }
        return offset
    }

    // MARK: writing

    /// True when `bytes` fit the output ring now. When they do not, the Connection counts it
    /// as back-pressure (it stops reading until output drains), exactly as a refused write.
    func hasRoom(_ bytes: Int) -> Bool {
        connection.write(reservingAtLeast: bytes) { _ in 0 }
    }

    func write<P: EncodablePDU>(_ pdu: P, reserving bytes: Int = 16) -> Bool {
        connection.write(reservingAtLeast: bytes) { pdu.encode(into: $0).written }
    }

    func writeBind(kind: BindKind, sequence: UInt32, credentials: BindCredentials) -> Bool {
        let size = 16 + 7 + credentials.systemID.count + credentials.password.count + credentials.systemType.count
        return credentials.systemID.withUnsafeBytes { sid in
            credentials.password.withUnsafeBytes { pw in
                credentials.systemType.withUnsafeBytes { st in
                    write(Bind(kind: kind, sequenceNumber: sequence, systemID: BytesView(unsafeBorrowing: sid),
                               password: BytesView(unsafeBorrowing: pw), systemType: BytesView(unsafeBorrowing: st)),
                          reserving: size)
                }
            }
        }
    }

    enum SubmitWrite { case written, noRoom, unencodable }

    /// Encodes `message` as submit_sm with `sequence` (registered_delivery 1) when it fits the
    /// output ring with `reserve` bytes to spare (kept for the answers to the upstream's
    /// deliver_sm, which must never wait behind our submits).
    func writeSubmit(_ message: OutboundMessage, sequence: UInt32, reserve: Int) -> SubmitWrite {
        let size = OutboundSubmitPDU.maximumLength(of: message)
        guard size + reserve <= connection.outputCapacityBytes else { return .unencodable }
        guard connection.outputFreeBytes >= size + reserve else { return .noRoom }
        var result = EncodeResult.needs(size)
        let ok = Self.withBytes(message.source) { src in
            Self.withBytes(message.destination) { dst in
                message.shortMessage.withUnsafeBytes { sm in
                    Self.withPayload(message.messagePayload) { payload in
                        let pdu = OutboundSubmitPDU(message, sequence: sequence, source: src, destination: dst,
                                                    shortMessage: BytesView(unsafeBorrowing: sm), payload: payload)
                        return connection.write(reservingAtLeast: size) { buffer in
                            result = pdu.encode(into: buffer)
                            return result.written
                        }
                    }
                }
            }
        }
        guard ok else { return .noRoom }
        if case .wrote = result { return .written }
        return .unencodable
    }

    @inline(__always)
    private static func withBytes<R>(_ string: String, _ body: (BytesView) -> R) -> R {
        if let r = string.utf8.withContiguousStorageIfAvailable({ body(BytesView(unsafeBorrowing: UnsafeRawBufferPointer($0))) }) {
            return r
        }
        return Array(string.utf8).withUnsafeBytes { body(BytesView(unsafeBorrowing: $0)) }
    }

    @inline(__always)
    private static func withPayload<R>(_ payload: [UInt8]?, _ body: (BytesView?) -> R) -> R {
        guard let payload else { return body(nil) }
        return payload.withUnsafeBytes { body(BytesView(unsafeBorrowing: $0)) }
    }
}

/// The account an upstream session binds as, as bytes (encoded once).
struct BindCredentials {
    let systemID: [UInt8]
    let password: [UInt8]
    let systemType: [UInt8]
}

/// submit_sm for an OutboundMessage: the fields as the client submitted them, a receipt
/// always requested, and the optional message_payload and sar_* TLVs.
struct OutboundSubmitPDU: EncodablePDU {
    var fields: SubmitSM
    var payload: BytesView?
    var sar: SARFields?

    init(_ m: OutboundMessage, sequence: UInt32, source: BytesView, destination: BytesView,
         shortMessage: BytesView, payload: BytesView?) {
        fields = SubmitSM(sequenceNumber: sequence, sourceAddrTon: TON(rawValue: m.sourceTon),
                          sourceAddrNpi: NPI(rawValue: m.sourceNpi), sourceAddr: source,
                          destAddrTon: TON(rawValue: m.destinationTon), destAddrNpi: NPI(rawValue: m.destinationNpi),
                          destinationAddr: destination, registeredDelivery: 1, dataCoding: m.dataCoding,
                          shortMessage: shortMessage)
        fields.esmClass = m.esmClass
        fields.protocolID = m.protocolID
        fields.priorityFlag = m.priority
        self.payload = payload
        sar = m.sar
    }

    var commandID: CommandID { .submit_sm }
    var commandStatus: CommandStatus { .ESME_ROK }
    var sequenceNumber: UInt32 { fields.sequenceNumber }

    func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try fields.writeBody(to: &w)
        if let payload { try w.tlv(.message_payload, payload) }
        if let sar {
            w.tlv(.sar_msg_ref_num, uint16: sar.reference)
            w.tlv(.sar_total_segments, uint8: sar.total)
            w.tlv(.sar_segment_seqnum, uint8: sar.sequence)
        }
    }

    /// An upper bound of the encoded length: the header, the fixed fields and NULs (32), the
    /// variable fields, the TLVs.
    static func maximumLength(of m: OutboundMessage) -> Int {
        var n = 32 + m.source.utf8.count + m.destination.utf8.count + m.shortMessage.count
        if let payload = m.messagePayload { n += 4 + payload.count }
        if m.sar != nil { n += 6 + 5 + 5 }
        return n
    }
}

extension EncodeResult {
    /// Bytes written; 0 for a PDU that did not fit or could not be encoded (nothing committed).
    var written: Int {
        if case let .wrote(n) = self { return n }
        return 0
    }
}
