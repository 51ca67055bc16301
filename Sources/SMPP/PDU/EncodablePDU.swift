// EncodablePDU: what every PDU type provides so that `encode(into:)` (Wire/PDUWriter.swift) can
// write it. EncodeResult: the outcome of an encode. Value types; any thread.

/// A PDU that can be written to the wire. Conformers list their body fields once, in
/// `writeBody(to:)`; the header is written by `encode(into:)`.
public protocol EncodablePDU {
    /// The command_id written in the header.
    var commandID: CommandID { get }
    /// The command_status written in the header (ESME_ROK for requests).
    var commandStatus: CommandStatus { get }
    var sequenceNumber: UInt32 { get }
    /// Writes the body (mandatory fields, then TLVs). Throws when a field breaks its length rule.
    func writeBody(to writer: inout PDUWriter) throws(FieldError)
}

/// The outcome of `EncodablePDU.encode(into:)`.
public enum EncodeResult: Equatable, Sendable, CustomStringConvertible {
    /// The PDU was written: this many octets at the start of the buffer.
    case wrote(Int)
    /// The buffer is too small: the PDU needs this many octets. Retry with at least that much.
    case needs(Int)
    /// A field's value breaks its length rule; the PDU cannot be encoded as given.
    case invalidField(StaticString)

    public static func == (a: EncodeResult, b: EncodeResult) -> Bool {
        switch (a, b) {
        case let (.wrote(x), .wrote(y)), let (.needs(x), .needs(y)): x == y
        case let (.invalidField(x), .invalidField(y)): x.description == y.description
        default: false
        }
    }

    public var description: String {
        switch self {
        case .wrote(let n): "wrote(\(n))"
        case .needs(let n): "needs(\(n))"
        case .invalidField(let f): "invalidField(\(f))"
        }
    }
}
