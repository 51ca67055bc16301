// PDUWriter: writes one PDU into a caller-provided buffer, and `EncodablePDU.encode(into:)`,
// the one entry point every PDU type's encoding goes through. No allocation; the caller's
// thread; the buffer belongs to the caller (typically the connection's output ring).
// Invariants: the block on the type below.

/// A forward-only writer over the caller's buffer that *measures* as it writes.
///
/// Invariants:
/// - `base ..< base + capacity` is writable memory the caller owns for the duration of the
///   encode call; nothing outside it is ever written.
/// - `offset` only grows. A write stores its bytes only when `offset + n <= capacity`; past that
///   point the writer keeps counting without storing, so once `offset > capacity` every later
///   write is also skipped and the stored bytes are always a prefix of the PDU. `finish()`
///   then reports `.needs(offset)`.
/// - Integers are stored big-endian with unaligned stores; memory is never bound to a type.
/// - Field-length rules (a C-Octet String's maximum, sm_length <= 254) are checked before the
///   field is written and fail as a `FieldError` naming the field.
public struct PDUWriter {
    @usableFromInline let base: UnsafeMutableRawPointer?
    @usableFromInline let capacity: Int
    @usableFromInline var offset: Int

    /// A writer over `buffer`, which the caller keeps valid while the writer is used.
    @inlinable
    public init(unsafeBuffer buffer: UnsafeMutableRawBufferPointer) {
        self.base = buffer.baseAddress
        self.capacity = buffer.count
        self.offset = 0
    }

    /// Octets written (or, once past capacity, that would have been written) so far.
    @inlinable public var count: Int { offset }

    @inlinable @inline(__always)
    mutating func reserve(_ n: Int) -> UnsafeMutableRawPointer? {
        defer { offset &+= n }
        guard n <= capacity &- offset, let base else { return nil }
        return base + offset
    }

    @inlinable @inline(__always)
    public mutating func uint8(_ value: UInt8) {
        reserve(1)?.storeBytes(of: value, as: UInt8.self)
    }

    @inlinable
    public mutating func uint16(_ value: UInt16) {
        reserve(2)?.storeBytes(of: value.bigEndian, as: UInt16.self)
    }

    @inlinable
    public mutating func uint32(_ value: UInt32) {
        reserve(4)?.storeBytes(of: value.bigEndian, as: UInt32.self)
    }

    /// The bytes of `value`, verbatim.
    @inlinable @inline(__always)
    public mutating func bytes(_ value: BytesView) {
        let n = value.count
        guard n > 0, let p = reserve(n) else { return }
        let src = value.start.unsafelyUnwrapped
        // Addresses, ids and times are 1–32 octets: two overlapping word copies beat a call
        // to memmove there. Longer runs (short_message, TLVs) go to memmove.
        if n >= 8 && n <= 16 {
            let head = src.loadUnaligned(as: UInt64.self)
            let tail = src.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
            p.storeBytes(of: head, as: UInt64.self)
            p.storeBytes(of: tail, toByteOffset: n &- 8, as: UInt64.self)
        } else if n > 16 && n <= 32 {
            let a = src.loadUnaligned(as: (UInt64, UInt64).self)
            let b = src.loadUnaligned(fromByteOffset: n &- 16, as: (UInt64, UInt64).self)
            p.storeBytes(of: a, as: (UInt64, UInt64).self)
            p.storeBytes(of: b, toByteOffset: n &- 16, as: (UInt64, UInt64).self)
        } else if n < 8 {
            var i = 0
            while i < n {
                p.storeBytes(of: src.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
                i &+= 1
            }
        } else {
            p.copyMemory(from: src, byteCount: n)
        }
    }

    /// `value` and a NUL, as a C-Octet String of at most `spec.maxLength` octets (NUL included).
    /// The value must not contain a NUL (checked in debug builds).
    @inlinable @inline(__always)
    public mutating func cString(_ value: BytesView, _ spec: FieldSpec) throws(FieldError) {
        guard value.count < spec.maxLength else { throw FieldError(spec.name, spec.tooLongStatus) }
        assert(value.firstZero(from: 0, before: value.count) == nil, "NUL inside a C-Octet String value")
        bytes(value)
        uint8(0)
    }

    /// An SMPP time field: empty or exactly 16 characters, then a NUL.
    @inlinable
    public mutating func timeString(_ value: BytesView, _ spec: FieldSpec) throws(FieldError) {
        guard value.count == 0 || value.count == 16 else { throw FieldError(spec.name, spec.tooLongStatus) }
        try cString(value, spec)
    }

    /// sm_length and short_message; more than 254 octets is invalid (use message_payload).
    @inlinable
    public mutating func shortMessage(_ value: BytesView) throws(FieldError) {
        guard value.count <= 254 else { throw FieldError("short_message", .ESME_RINVMSGLEN) }
        uint8(UInt8(truncatingIfNeeded: value.count))
        bytes(value)
    }

    /// One TLV with an arbitrary value (at most 65535 octets).
    @inlinable
    public mutating func tlv(_ tag: TLVTag, _ value: BytesView) throws(FieldError) {
        guard value.count <= Int(UInt16.max) else { throw FieldError(tag.staticName, .ESME_RINVPARLEN) }
        uint16(tag.rawValue)
        uint16(UInt16(truncatingIfNeeded: value.count))
        bytes(value)
    }

    /// One TLV holding a C-Octet String: `value` and a NUL.
    @inlinable
    public mutating func tlvCString(_ tag: TLVTag, _ value: BytesView) throws(FieldError) {
        guard value.count < Int(UInt16.max) else { throw FieldError(tag.staticName, .ESME_RINVPARLEN) }
        uint16(tag.rawValue)
        uint16(UInt16(truncatingIfNeeded: value.count &+ 1))
        bytes(value)
        uint8(0)
    }

    /// One TLV holding a 1-octet integer.
    @inlinable
    public mutating func tlv(_ tag: TLVTag, uint8 value: UInt8) {
        uint16(tag.rawValue)
        uint16(1)
        uint8(value)
    }

    /// One TLV holding a 2-octet integer.
    @inlinable
    public mutating func tlv(_ tag: TLVTag, uint16 value: UInt16) {
        uint16(tag.rawValue)
        uint16(2)
        uint16(value)
    }

    /// One TLV holding a 4-octet integer.
    @inlinable
    public mutating func tlv(_ tag: TLVTag, uint32 value: UInt32) {
        uint16(tag.rawValue)
        uint16(4)
        uint32(value)
    }

    /// Patches command_length (the first 4 octets) and reports the outcome.
    @inlinable
    mutating func finishPDU() -> EncodeResult {
        guard offset <= capacity, let base else { return .needs(offset) }
        guard offset <= Int(UInt32.max) else { return .invalidField("command_length") }
        base.storeBytes(of: UInt32(truncatingIfNeeded: offset).bigEndian, as: UInt32.self)
        return .wrote(offset)
    }
}

extension EncodablePDU {
    /// Encodes the whole PDU (header and body) into `buffer`.
    /// - `.wrote(n)`: the PDU occupies `buffer[0..<n]`.
    /// - `.needs(n)`: `buffer` is smaller than the PDU's `n` octets; the contents of `buffer`
    ///   are unspecified (a prefix of the PDU may have been written). Nothing else happened.
    /// - `.invalidField(name)`: a field breaks its length rule (e.g. a message_id of 65 or more
    ///   octets, or short_message over 254); nothing meaningful was written.
    /// Never allocates. `buffer` belongs to the caller and is used only during the call.
    @inlinable
    public func encode(into buffer: UnsafeMutableRawBufferPointer) -> EncodeResult {
        var writer = PDUWriter(unsafeBuffer: buffer)
        writer.uint32(0)  // command_length, patched by finishPDU
        writer.uint32(commandID.rawValue)
        writer.uint32(commandStatus.rawValue)
        writer.uint32(sequenceNumber)
        do {
            try writeBody(to: &writer)
        } catch {
            return .invalidField(error.field)
        }
        return writer.finishPDU()
    }
}

extension DecodedPDU {
    /// Re-encodes the decoded PDU into `buffer` (for relaying or normalising), through the
    /// matching encodable type, without boxing it in an existential. Same outcomes as
    /// `EncodablePDU.encode(into:)`; an error response whose body was omitted comes back with
    /// its empty fields written.
    public func encode(into buffer: UnsafeMutableRawBufferPointer) -> EncodeResult {
        switch self {
        case .bindTransmitter(let p), .bindReceiver(let p), .bindTransceiver(let p): p.encodable.encode(into: buffer)
        case .bindTransmitterResp(let p), .bindReceiverResp(let p), .bindTransceiverResp(let p): p.encodable.encode(into: buffer)
        case .outbind(let p): p.encodable.encode(into: buffer)
        case .unbind(let p): p.encode(into: buffer)
        case .unbindResp(let p): p.encode(into: buffer)
        case .genericNack(let p): p.encode(into: buffer)
        case .submitSM(let p): p.encodable.encode(into: buffer)
        case .submitSMResp(let p): p.encode(into: buffer)
        case .submitMulti(let p): p.encodable.encode(into: buffer)
        case .submitMultiResp(let p): p.encodable.encode(into: buffer)
        case .deliverSM(let p): p.encodable.encode(into: buffer)
        case .deliverSMResp(let p): p.encode(into: buffer)
        case .dataSM(let p): p.encodable.encode(into: buffer)
        case .dataSMResp(let p): p.encode(into: buffer)
        case .querySM(let p): p.encodable.encode(into: buffer)
        case .querySMResp(let p): p.encodable.encode(into: buffer)
        case .cancelSM(let p): p.encodable.encode(into: buffer)
        case .cancelSMResp(let p): p.encode(into: buffer)
        case .replaceSM(let p): p.encodable.encode(into: buffer)
        case .replaceSMResp(let p): p.encode(into: buffer)
        case .enquireLink(let p): p.encode(into: buffer)
        case .enquireLinkResp(let p): p.encode(into: buffer)
        case .alertNotification(let p): p.encodable.encode(into: buffer)
        }
    }
}
