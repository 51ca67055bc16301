// PDUStream: the receive loop both of smppbench's ConnectionDelegates share: frame whole PDUs
// out of the bytes the Connection lends, hand each to the session, stop on back-pressure or a
// broken stream. Unsafe code (allowlisted, STYLE 9.3): it slices the lent buffer.

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
}
