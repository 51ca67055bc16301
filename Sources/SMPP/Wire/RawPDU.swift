// RawPDU: the compact form of a decoded PDU — its header, the address of its bytes, and the
// positions of its C-Octet Strings' NULs — from which the typed views (SubmitSMPDU, …) compute
// every field on access. 40 bytes whatever the PDU, so DecodedPDU stays small and cheap to
// return and match (a large enum is copied on every return and match; see perf/RESULTS.md).
// Same lifetime and thread rules as BytesView. Invariants: the block on the type below.

/// A validated PDU in the caller's buffer, plus up to 8 recorded offsets ("slots").
///
/// Invariants:
/// - `base ..< base + header.commandLength` is the PDU given to `PDUDecoder.decode`, already
///   validated field by field; the caller keeps it alive and unchanged while views are used.
/// - Slots hold offsets (from `base`) that the decoder found while validating, each at most
///   `commandLength` and below 65536: every mandatory field has a maximum size, so the largest
///   mandatory part (submit_multi_resp with 255 entries) ends before ~7 KB; only TLVs reach
///   70 KiB, and they are addressed up to `commandLength`.
/// - Every accessor is bounds-checked against `commandLength` anyway (a cheap compare), so a
///   view can never read outside the PDU even if a slot were wrong.
public struct RawPDU {
    public let header: PDUHeader
    @usableFromInline let base: UnsafeRawPointer
    @usableFromInline var slots: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16)

    init(header: PDUHeader, reader: PDUReader) {
        self.header = header
        self.base = reader.base
        self.slots = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    @inlinable var length: Int { Int(header.commandLength) }

    /// True for a 16-octet PDU (an error response whose body was omitted, or a header-only PDU).
    @inlinable public var hasNoBody: Bool { header.commandLength == UInt32(PDUHeader.size) }

    @inlinable
    func slot(_ i: Int) -> Int {
        withUnsafeBytes(of: slots) { Int($0.load(fromByteOffset: i &* 2, as: UInt16.self)) }
    }

    @inline(__always)
    mutating func setSlot(_ i: Int, _ offset: Int) {
        precondition(offset >= 0 && offset <= Int(UInt16.max) && offset <= length)
        withUnsafeMutableBytes(of: &slots) { $0.storeBytes(of: UInt16(offset), toByteOffset: i * 2, as: UInt16.self) }
    }

    /// The octet at `offset`.
    @inlinable
    func byte(_ offset: Int) -> UInt8 {
        precondition(offset >= 0 && offset < length, "RawPDU offset out of range")
        return base.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// The bytes `start ..< end` (end exclusive: a C-Octet String's NUL).
    @inlinable
    func string(_ start: Int, _ end: Int) -> BytesView {
        precondition(start >= 0 && start <= end && end <= length, "RawPDU range out of range")
        return BytesView(uncheckedStart: start == end ? nil : base + start, count: end &- start)
    }

    /// `count` bytes from `start`.
    @inlinable
    func bytes(_ start: Int, count: Int) -> BytesView { string(start, start &+ count) }

    /// The TLV region from `start` to the end of the PDU.
    @inlinable
    func tlvs(from start: Int) -> TLVList { TLVList(bytes: string(start, length)) }
}

/// A decoded PDU view: its fields are computed from `raw`.
public protocol PDUView {
    var raw: RawPDU { get }
}

extension PDUView {
    @inlinable public var header: PDUHeader { raw.header }
    @inlinable public var commandID: CommandID { raw.header.commandID }
    @inlinable public var commandStatus: CommandStatus { raw.header.commandStatus }
    @inlinable public var sequenceNumber: UInt32 { raw.header.sequenceNumber }
}

extension PDUReader {
    /// Validates a C-Octet String (see `cString`) and returns its NUL's offset.
    @inline(__always)
    mutating func cStringEnd(_ spec: FieldSpec) throws(FieldError) -> Int { try cStringNUL(spec) }

    /// Validates an SMPP time field (see `timeString`) and returns its NUL's offset.
    @inline(__always)
    mutating func timeStringEnd(_ spec: FieldSpec) throws(FieldError) -> Int { try timeStringNUL(spec) }

    /// Skips `count` fixed octets; a body that ends first is ESME_RINVCMDLEN for `field`.
    @inline(__always)
    mutating func skip(_ count: Int, _ field: StaticString) throws(FieldError) {
        guard remaining >= count else { throw FieldError(field, .ESME_RINVCMDLEN) }
        offset &+= count
    }
}
