// PDUStream: the receive loop both of smppbench's ConnectionDelegates share: frame whole PDUs
// out of the bytes the Connection lends, decode each (answering a request that does not decode
// with generic_nack), hand it to the session, stop on back-pressure or a broken stream.
// Unsafe code (allowlisted, STYLE 9.3): it slices the lent buffer.

import Reactor
import SMPP

enum PDUStream {
    /// Largest PDU smppbench accepts from a server (a deliver_sm with message_payload).
    static let maxPDULength = 72 * 1024

    /// Returns how many bytes were consumed. `handle` returns false to stop at that PDU (the
    /// output ring is full: it is offered again with the next bytes); `badLength` is told of a
    /// command_length no PDU can have, after which the connection is closed.
    @inline(__always)
    static func consume(_ bytes: UnsafeRawBufferPointer, on connection: Connection,
                        badLength: (UInt32) -> Void, handle: (UnsafeRawBufferPointer) -> Bool) -> Int {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            switch PDUFramer.frame(rest, maxPDULength: maxPDULength) {
            case .needMoreBytes:
                return offset
            case let .badCommandLength(length):
                badLength(length)
                connection.close()
                return offset
            case let .pdu(length):
                guard handle(UnsafeRawBufferPointer(rebasing: rest[..<length])) else { return offset }
                offset += length
                if !connection.isOpen { return offset }
            }
        }
        return offset
    }

    /// One framed PDU, decoded or not.
    enum Received {
        case pdu(DecodedPDU)
        /// It did not decode; `answered` is false when its generic_nack did not fit the output
        /// ring (offer the PDU again).
        case rejected(answered: Bool)

        /// False only when a generic_nack did not fit.
        var isAnswered: Bool {
            if case let .rejected(answered) = self { answered } else { true }
        }
    }

    /// Decodes one whole PDU. One that does not decode goes to `rejected` with its header when
    /// it has one; a request among those is answered here with generic_nack and the decode
    /// error's status (C-ERR-2), a response is left to `rejected`.
    @inline(__always)
    static func decode(_ bytes: UnsafeRawBufferPointer, on connection: Connection,
                       rejected: (DecodeError, PDUHeader?) -> Void) -> Received {
        let error: DecodeError
        switch PDUDecoder.decode(bytes) {
        case let .success(pdu): return .pdu(pdu)
        case let .failure(e): error = e
        }
        let header = PDUFramer.peekHeader(bytes)
        rejected(error, header)
        guard let header, !header.commandID.isResponse else { return .rejected(answered: true) }
        return .rejected(answered: connection.write(reservingAtLeast: 16) {
            GenericNack(sequenceNumber: header.sequenceNumber, status: error.status).encode(into: $0).written
        })
    }
}
