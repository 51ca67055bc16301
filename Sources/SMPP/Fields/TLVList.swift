// TLVList: the optional-parameter region of a PDU (SMPP v3.4 §3.2.4, §5.3), as a view into the
// PDU's bytes; lookups walk it on demand, nothing is copied or allocated. Same lifetime and
// thread rules as BytesView. Validation happens once, in the decoder (`validate`).

/// One optional parameter: its tag and a view of its value.
public struct TLV {
    public let tag: TLVTag
    public let value: BytesView

    @inlinable
    public init(tag: TLVTag, value: BytesView) {
        self.tag = tag
        self.value = value
    }
}

/// The TLVs after a PDU's mandatory fields, in wire order, unknown tags included.
///
/// A decoded list has been validated: every TLV's length fits inside the region, and every
/// known tag's length is within its spec bounds. For encoding, `bytes` is written verbatim, so
/// it must hold well-formed TLVs (build them with `TLVEncoder`).
public struct TLVList: Sequence {
    /// The raw region: tag (2) + length (2) + value, repeated.
    public let bytes: BytesView

    @inlinable
    public init(bytes: BytesView) { self.bytes = bytes }

    /// No optional parameters.
    @inlinable public static var none: TLVList { TLVList(bytes: BytesView()) }

    @inlinable public var isEmpty: Bool { bytes.isEmpty }

    /// Walks the region. Stops at the first malformed entry (never present in a decoded list).
    public struct Iterator: IteratorProtocol {
        @usableFromInline let bytes: BytesView
        @usableFromInline var offset: Int

        @inlinable
        init(bytes: BytesView) {
            self.bytes = bytes
            self.offset = 0
        }

        @inlinable
        public mutating func next() -> TLV? {
            guard let tag = bytes.bigEndianUInt16(at: offset),
                  let length = bytes.bigEndianUInt16(at: offset &+ 2),
                  let value = bytes.slice(from: offset &+ 4, count: Int(length))
            else { return nil }
            offset &+= 4 &+ Int(length)
            return TLV(tag: TLVTag(rawValue: tag), value: value)
        }
    }

    @inlinable
    public func makeIterator() -> Iterator { Iterator(bytes: bytes) }

    /// The first TLV with `tag`, or nil.
    @inlinable
    public func first(_ tag: TLVTag) -> TLV? {
        var it = makeIterator()
        while let tlv = it.next() {
            if tlv.tag == tag { return tlv }
        }
        return nil
    }

    /// True when a TLV with `tag` is present.
    @inlinable
    public func contains(_ tag: TLVTag) -> Bool { first(tag) != nil }

    /// The value of `tag` as a 1-octet integer; nil when absent or not 1 octet long.
    @inlinable
    public func uint8(_ tag: TLVTag) -> UInt8? {
        guard let v = first(tag)?.value, v.count == 1 else { return nil }
        return v[0]
    }

    /// The value of `tag` as a big-endian 2-octet integer; nil when absent or not 2 octets.
    @inlinable
    public func uint16(_ tag: TLVTag) -> UInt16? {
        guard let v = first(tag)?.value, v.count == 2 else { return nil }
        return v.bigEndianUInt16(at: 0)
    }

    /// The value of `tag` as a big-endian 4-octet integer; nil when absent or not 4 octets.
    @inlinable
    public func uint32(_ tag: TLVTag) -> UInt32? {
        guard let v = first(tag)?.value, v.count == 4 else { return nil }
        return v.bigEndianUInt32(at: 0)
    }

    /// The value of a C-Octet String TLV without its NUL (tolerates a missing NUL, as many
    /// SMSCs send receipted_message_id without one); nil when absent.
    @inlinable
    public func cString(_ tag: TLVTag) -> BytesView? {
        guard let v = first(tag)?.value else { return nil }
        if let zero = v.firstZero(from: 0, before: v.count) { return v.slice(from: 0, count: zero) }
        return v
    }

    // Typed accessors for the TLVs the server and client read.

    /// message_payload (0x0424), the whole value.
    @inlinable public var messagePayload: BytesView? { first(.message_payload)?.value }
    /// receipted_message_id (0x001E), without its NUL.
    @inlinable public var receiptedMessageID: BytesView? { cString(.receipted_message_id) }
    /// message_state (0x0427), raw (the Receipt module owns the MessageState enum).
    @inlinable public var messageState: UInt8? { uint8(.message_state) }
    /// network_error_code (0x0423).
    @inlinable
    public var networkErrorCode: NetworkErrorCode? {
        guard let v = first(.network_error_code)?.value, v.count == 3, let code = v.bigEndianUInt16(at: 1) else { return nil }
        return NetworkErrorCode(networkType: v[0], errorCode: code)
    }
    /// sar_msg_ref_num (0x020C).
    @inlinable public var sarMsgRefNum: UInt16? { uint16(.sar_msg_ref_num) }
    /// sar_total_segments (0x020E).
    @inlinable public var sarTotalSegments: UInt8? { uint8(.sar_total_segments) }
    /// sar_segment_seqnum (0x020F).
    @inlinable public var sarSegmentSeqnum: UInt8? { uint8(.sar_segment_seqnum) }
    /// sc_interface_version (0x0210).
    @inlinable public var scInterfaceVersion: UInt8? { uint8(.sc_interface_version) }
    /// user_message_reference (0x0204).
    @inlinable public var userMessageReference: UInt16? { uint16(.user_message_reference) }

    /// Checks a region from the wire: whole TLVs only, each known tag within its length bounds.
    /// - 1 to 3 bytes left where a TLV header should start: ESME_RINVOPTPARSTREAM.
    /// - a length running past the region: ESME_RINVPARLEN, field = the tag's name (or
    ///   "optional_parameters" for an unknown tag).
    /// - a known tag with a length outside its bounds: ESME_RINVPARLEN, field = the tag's name.
    @inlinable
    public static func validate(_ bytes: BytesView) throws(FieldError) {
        var offset = 0
        while offset < bytes.count {
            guard let rawTag = bytes.bigEndianUInt16(at: offset), let length = bytes.bigEndianUInt16(at: offset &+ 2) else {
                throw FieldError("optional_parameters", .ESME_RINVOPTPARSTREAM)
            }
            let tag = TLVTag(rawValue: rawTag)
            let valueLength = Int(length)
            guard valueLength <= bytes.count &- offset &- 4 else {
                throw FieldError(tag.isKnown ? tag.staticName : "optional_parameters", .ESME_RINVPARLEN)
            }
            if let range = tag.valueLengthRange, !range.contains(valueLength) {
                throw FieldError(tag.staticName, .ESME_RINVPARLEN)
            }
            offset &+= 4 &+ valueLength
        }
    }
}
