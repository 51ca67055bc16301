// submit_multi and submit_multi_resp's repeated lists (SMPP v3.4 §4.5), kept as views that are
// walked on demand (nothing allocated per destination). The structs, their views and the other
// fields come from pdus.def (Generated/SubmitMulti*Layout.swift). Value types; any thread.

/// One entry of submit_multi's dest_address list (§4.5.1.1).
public enum DestAddress {
    /// dest_flag 1: an SME address.
    case smeAddress(ton: TON, npi: NPI, address: BytesView)
    /// dest_flag 2: a distribution list name.
    case distributionList(name: BytesView)
}

/// submit_multi's dest_address list: `count` (number_of_dests) entries in `bytes`.
/// A decoded list has been validated; for encoding, `bytes` is written verbatim.
public struct DestAddressList: Sequence {
    public let count: Int
    public let bytes: BytesView

    public init(count: Int, bytes: BytesView) {
        self.count = count
        self.bytes = bytes
    }

    public struct Iterator: IteratorProtocol {
        let list: DestAddressList
        var index = 0
        var offset = 0

        public mutating func next() -> DestAddress? {
            guard index < list.count, offset < list.bytes.count else { return nil }
            index += 1
            let b = list.bytes
            if b[offset] == 1 {
                guard offset + 3 < b.count, let end = b.firstZero(from: offset + 3, before: b.count),
                      let address = b.slice(from: offset + 3, count: end - offset - 3) else { return nil }
                defer { offset = end + 1 }
                return .smeAddress(ton: TON(rawValue: b[offset + 1]), npi: NPI(rawValue: b[offset + 2]), address: address)
            }
            guard let end = b.firstZero(from: offset + 1, before: b.count),
                  let name = b.slice(from: offset + 1, count: end - offset - 1) else { return nil }
            offset = end + 1
            return .distributionList(name: name)
        }
    }

    public func makeIterator() -> Iterator { Iterator(list: self) }

    /// Reads number_of_dests and the list. 0 or above 254 destinations: ESME_RINVNUMDESTS;
    /// a dest_flag other than 1 or 2: ESME_RINVDESTFLAG.
    init(reading r: inout PDUReader) throws(FieldError) {
        let n = Int(try r.uint8("number_of_dests"))
        guard n >= 1, n <= 254 else { throw FieldError("number_of_dests", .ESME_RINVNUMDESTS) }
        let mark = r.mark
        for _ in 0..<n {
            switch try r.uint8("dest_flag") {
            case 1:
                _ = try r.uint8("dest_addr_ton")
                _ = try r.uint8("dest_addr_npi")
                _ = try r.cString(Field.destinationAddr)
            case 2:
                _ = try r.cString(Field.dlName)
            default:
                throw FieldError("dest_flag", .ESME_RINVDESTFLAG)
            }
        }
        self.init(count: n, bytes: r.view(since: mark))
    }

    /// Writes number_of_dests and the list; a count outside 1...254 is ESME_RINVNUMDESTS.
    func write(to w: inout PDUWriter) throws(FieldError) {
        guard count >= 1, count <= 254 else { throw FieldError("number_of_dests", .ESME_RINVNUMDESTS) }
        w.uint8(UInt8(count))
        w.bytes(bytes)
    }
}

/// One entry of submit_multi_resp's unsuccess_sme list (§4.5.2.1).
public struct UnsuccessSME {
    public var destAddrTon: TON
    public var destAddrNpi: NPI
    public var destinationAddr: BytesView
    /// error_status_code: why this destination failed.
    public var errorStatusCode: CommandStatus
}

/// submit_multi_resp's unsuccess_sme list: `count` (no_unsuccess) entries in `bytes`.
public struct UnsuccessSMEList: Sequence {
    public let count: Int
    public let bytes: BytesView

    public init(count: Int, bytes: BytesView) {
        self.count = count
        self.bytes = bytes
    }

    public static var none: UnsuccessSMEList { UnsuccessSMEList(count: 0, bytes: .empty) }

    public struct Iterator: IteratorProtocol {
        let list: UnsuccessSMEList
        var index = 0
        var offset = 0

        public mutating func next() -> UnsuccessSME? {
            let b = list.bytes
            guard index < list.count, offset + 2 < b.count,
                  let end = b.firstZero(from: offset + 2, before: b.count),
                  let address = b.slice(from: offset + 2, count: end - offset - 2),
                  let status = b.bigEndianUInt32(at: end + 1) else { return nil }
            defer { index += 1; offset = end + 5 }
            return UnsuccessSME(
                destAddrTon: TON(rawValue: b[offset]), destAddrNpi: NPI(rawValue: b[offset + 1]),
                destinationAddr: address, errorStatusCode: CommandStatus(rawValue: status))
        }
    }

    public func makeIterator() -> Iterator { Iterator(list: self) }

    init(reading r: inout PDUReader) throws(FieldError) {
        let n = Int(try r.uint8("no_unsuccess"))
        let mark = r.mark
        for _ in 0..<n {
            _ = try r.uint8("dest_addr_ton")
            _ = try r.uint8("dest_addr_npi")
            _ = try r.cString(Field.destinationAddr)
            _ = try r.uint32("error_status_code")
        }
        self.init(count: n, bytes: r.view(since: mark))
    }

    /// Writes no_unsuccess and the entries; more than 255 is ESME_RINVPARLEN.
    func write(to w: inout PDUWriter) throws(FieldError) {
        guard count <= 255 else { throw FieldError("no_unsuccess", .ESME_RINVPARLEN) }
        w.uint8(UInt8(count))
        w.bytes(bytes)
    }
}
