// PDUReader: the cursor that walks one PDU's bytes during decoding. Used only inside
// PDUDecoder.decode, on the caller's thread, for the duration of that call.
// Invariants: the block on the type below.

/// Reads the fields of one PDU front to back, in place.
///
/// Invariants:
/// - `base ..< base + end` is the PDU handed to `PDUDecoder.decode`; the caller keeps it alive
///   and unchanged while decoding and while any returned `BytesView` is used.
/// - `0 <= offset <= end` at all times. Every read checks `n <= end - offset` before touching
///   memory, so nothing is ever read past `command_length` (== `end`).
/// - Multi-byte integers are unaligned loads plus big-endian conversion; memory is never bound.
/// - Failures are values (`FieldError`, a typed throw: no allocation, no existential), naming
///   the field and the status to answer with. A failed read leaves `offset` unchanged.
struct PDUReader {
    let base: UnsafeRawPointer
    let end: Int
    var offset: Int

    init(base: UnsafeRawPointer, count: Int, offset: Int) {
        precondition(count >= 0 && offset >= 0 && offset <= count)
        self.base = base
        self.end = count
        self.offset = offset
    }

    /// Bytes not read yet.
    var remaining: Int { end &- offset }

    var isAtEnd: Bool { offset == end }

    /// The header; the caller has checked that at least 16 bytes exist.
    static func uncheckedHeader(at base: UnsafeRawPointer) -> PDUHeader {
        PDUHeader(
            commandLength: UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 0, as: UInt32.self)),
            commandID: CommandID(rawValue: UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self))),
            commandStatus: CommandStatus(rawValue: UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt32.self))),
            sequenceNumber: UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        )
    }

    /// One octet; a body that ends here is `ESME_RINVCMDLEN` for `field`.
    @inline(__always)
    mutating func uint8(_ field: StaticString) throws(FieldError) -> UInt8 {
        guard offset < end else { throw FieldError(field, .ESME_RINVCMDLEN) }
        let v = base.load(fromByteOffset: offset, as: UInt8.self)
        offset &+= 1
        return v
    }

    /// A big-endian 4-octet integer; a body that ends first is `ESME_RINVCMDLEN` for `field`.
    mutating func uint32(_ field: StaticString) throws(FieldError) -> UInt32 {
        guard remaining >= 4 else { throw FieldError(field, .ESME_RINVCMDLEN) }
        let v = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        offset &+= 4
        return v
    }

    /// A C-Octet String of at most `spec.maxLength` octets including its NUL. Returns the bytes
    /// before the NUL and moves past the NUL.
    /// - No NUL within `spec.maxLength` octets: `spec.tooLongStatus`.
    /// - The body ends before a NUL (and before `maxLength`): `ESME_RINVCMDLEN` (missing NUL).
    mutating func cString(_ spec: FieldSpec) throws(FieldError) -> BytesView {
        let start = offset
        let nul = try cStringNUL(spec)
        return BytesView(uncheckedStart: nul == start ? nil : base + start, count: nul &- start)
    }

    /// As `cString`, returning the NUL's offset; the hot path of every decode. Scans eight
    /// octets per step (a zero-byte test on a 64-bit word) while at least eight remain inside
    /// the field's limit, then byte by byte; never reads past `min(maxLength, remaining)`.
    @inline(__always)
    mutating func cStringNUL(_ spec: FieldSpec) throws(FieldError) -> Int {
        let limit = Swift.min(spec.maxLength, remaining)
        let p = base + offset
        var i = 0
        while i &+ 8 <= limit {
            let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            // The lowest set bit marks the first zero byte exactly (borrows only run upwards).
            let zeros = (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080
            if zeros != 0 {
                let nul = offset &+ i &+ (zeros.trailingZeroBitCount &>> 3)
                offset = nul &+ 1
                return nul
            }
            i &+= 8
        }
        while i < limit {
            if p.load(fromByteOffset: i, as: UInt8.self) == 0 {
                let nul = offset &+ i
                offset = nul &+ 1
                return nul
            }
            i &+= 1
        }
        if limit == spec.maxLength { throw FieldError(spec.name, spec.tooLongStatus) }
        throw FieldError(spec.name, .ESME_RINVCMDLEN)
    }

    /// An SMPP time field (schedule_delivery_time, validity_period, final_date): a C-Octet String
    /// that is either empty or exactly 16 characters. Another length is `spec.tooLongStatus`.
    mutating func timeString(_ spec: FieldSpec) throws(FieldError) -> BytesView {
        let start = offset
        let nul = try timeStringNUL(spec)
        return BytesView(uncheckedStart: nul == start ? nil : base + start, count: nul &- start)
    }

    /// As `timeString`, returning the NUL's offset.
    @inline(__always)
    mutating func timeStringNUL(_ spec: FieldSpec) throws(FieldError) -> Int {
        let start = offset
        let nul = try cStringNUL(spec)
        guard nul == start || nul &- start == 16 else {
            offset = start
            throw FieldError(spec.name, spec.tooLongStatus)
        }
        return nul
    }

    /// `count` octets as a view; fewer remaining is `status` for `field`.
    mutating func octets(_ count: Int, _ field: StaticString, orElse status: CommandStatus) throws(FieldError) -> BytesView {
        guard count >= 0, count <= remaining else { throw FieldError(field, status) }
        let v = BytesView(uncheckedStart: count == 0 ? nil : base + offset, count: count)
        offset &+= count
        return v
    }

    /// sm_length followed by short_message. sm_length above 254 (the spec's range) or past the
    /// end of the body is `ESME_RINVMSGLEN`.
    mutating func shortMessage() throws(FieldError) -> BytesView {
        let length = try uint8("sm_length")
        guard length <= 254 else { offset &-= 1; throw FieldError("sm_length", .ESME_RINVMSGLEN) }
        do {
            return try octets(Int(length), "short_message", orElse: .ESME_RINVMSGLEN)
        } catch {
            offset &-= 1
            throw error
        }
    }

    /// Everything left: the optional-parameter (TLV) region, validated by `TLVList.validate`.
    mutating func tlvs() throws(FieldError) -> TLVList {
        if offset == end { return .none }  // the common case: no TLVs, no call
        let v = BytesView(uncheckedStart: offset == end ? nil : base + offset, count: remaining)
        try TLVList.validate(v)
        offset = end
        return TLVList(bytes: v)
    }

    /// For PDUs that are a header and nothing else: any body byte is `ESME_RINVCMDLEN`.
    func expectEnd() throws(FieldError) {
        guard offset == end else { throw FieldError("command_length", .ESME_RINVCMDLEN) }
    }
}

extension PDUReader {
    /// True for a response with a non-zero command_status and no body at all: v3.4 lets the
    /// SMSC omit the body of an error response (e.g. §4.4.2 submit_sm_resp), so its fields are
    /// left empty instead of failing as truncated.
    func isOmittedErrorBody(_ header: PDUHeader) -> Bool {
        isAtEnd && !header.commandStatus.isOK
    }
}

extension PDUReader {
    /// The current offset, to pass to `view(since:)` later.
    var mark: Int { offset }

    /// The bytes read between `mark` and now, as a view.
    func view(since mark: Int) -> BytesView {
        precondition(mark >= 0 && mark <= offset)
        return BytesView(uncheckedStart: mark == offset ? nil : base + mark, count: offset &- mark)
    }
}

extension PDUReader {
    /// Offset of the first NUL in `[from, from + min(max, end - from))`, or nil. Eight octets
    /// per step while eight remain inside the limit; never reads outside it.
    @inline(__always)
    func nul(from: Int, max: Int) -> Int? {
        let limit = Swift.min(max, end &- from)
        guard limit > 0 else { return nil }
        let p = base + from
        var i = 0
        while i &+ 8 <= limit {
            let w = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let zeros = (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080
            if zeros != 0 { return from &+ i &+ (zeros.trailingZeroBitCount &>> 3) }
            i &+= 8
        }
        while i < limit {
            if p.load(fromByteOffset: i, as: UInt8.self) == 0 { return from &+ i }
            i &+= 1
        }
        return nil
    }

    /// The submit_sm / deliver_sm fast path: validates the mandatory fields with as few checks
    /// as possible and returns the NUL offsets of service_type, source_addr, destination_addr,
    /// schedule_delivery_time and validity_period, leaving the reader at the TLVs. Returns nil
    /// (reader unchanged) on *any* problem; the caller then runs the field-by-field decoder,
    /// which names the failing field. Every read is inside `offset ..< end`.
    @inline(__always)
    mutating func fastShortMessageNULs() -> (Int, Int, Int, Int, Int)? {
        guard let s0 = nul(from: offset, max: 6) else { return nil }
        guard let s1 = nul(from: s0 &+ 3, max: 21) else { return nil }        // after ton, npi
        guard let s2 = nul(from: s1 &+ 3, max: 21) else { return nil }        // after ton, npi
        guard let s3 = nul(from: s2 &+ 4, max: 17) else { return nil }        // after esm, pid, priority
        let scheduleLength = s3 &- (s2 &+ 4)
        guard scheduleLength == 0 || scheduleLength == 16, let s4 = nul(from: s3 &+ 1, max: 17) else { return nil }
        let validityLength = s4 &- (s3 &+ 1)
        // registered_delivery, replace_if_present_flag, data_coding, sm_default_msg_id, sm_length
        guard validityLength == 0 || validityLength == 16, s4 &+ 6 <= end else { return nil }
        let smLength = Int(base.load(fromByteOffset: s4 &+ 5, as: UInt8.self))
        guard smLength <= 254, smLength <= end &- (s4 &+ 6) else { return nil }
        offset = s4 &+ 6 &+ smLength
        return (s0, s1, s2, s3, s4)
    }
}
