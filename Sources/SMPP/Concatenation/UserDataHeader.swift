// UserDataHeader: the 3GPP TS 23.040 9.2.3.24 header at the start of short_message when
// esm_class has UDHI (0x40) set (C-SUB-5). Owns parsing it (per PDU: no allocation) and
// building the concatenation header (IEI 0x00, 8-bit reference; IEI 0x08, 16-bit).
// Pure functions over the caller's bytes: any thread.

/// A parsed User Data Header: how long it is and the concatenation IE it carried, if any.
public struct UserDataHeader: Hashable, Sendable {
    /// Bytes the header occupies at the start of short_message, the UDHL octet included
    /// (UDHL + 1). The message text starts at this offset.
    public let length: Int
    /// The concatenation IE (0x00 or 0x08); nil when the header has none.
    public let concatenation: ConcatenationInfo?

    @inlinable
    init(length: Int, concatenation: ConcatenationInfo?) {
        self.length = length
        self.concatenation = concatenation
    }

    /// Parses the UDH at the start of `shortMessage` (call it only when esm_class has
    /// UDHI, 0x40, set).
    ///
    /// Accepts an `[UInt8]`, an `ArraySlice` or a raw buffer over the PDU; does not retain
    /// it and never allocates. IEs other than 0x00 and 0x08 are skipped. If the header
    /// repeats a concatenation IE, the last one wins (TS 23.040 9.2.3.24: the receiver
    /// uses the last occurrence of a repeated IE). Rejects, as `ConcatenationError`: an
    /// empty message, UDHL past the end, an IE past the UDHL, a concatenation IE of the
    /// wrong length, total 0, sequence 0 and sequence above total.
    @inlinable
    public static func parse<Bytes: RandomAccessCollection<UInt8>>(
        _ shortMessage: Bytes
    ) -> Result<UserDataHeader, ConcatenationError> {
        guard let udhl = shortMessage.first else { return .failure(.missingHeaderLength) }
        let length = Int(udhl) + 1
        guard length <= shortMessage.count else { return .failure(.headerPastEnd) }
        let base = shortMessage.startIndex
        @inline(__always) func byte(_ offset: Int) -> UInt8 {
            shortMessage[shortMessage.index(base, offsetBy: offset)]
        }
        var concatenation: ConcatenationInfo?
        var offset = 1
        while offset < length {
            guard offset + 2 <= length else { return .failure(.elementPastHeader) }
            let identifier = byte(offset)
            let elementLength = Int(byte(offset + 1))
            let data = offset + 2
            guard data + elementLength <= length else { return .failure(.elementPastHeader) }
            let reference: ConcatenationReference?
            switch identifier {
            case 0x00:
                guard elementLength == 3 else { return .failure(.badConcatenationLength) }
                reference = .eightBit(byte(data))
            case 0x08:
                guard elementLength == 4 else { return .failure(.badConcatenationLength) }
                reference = .sixteenBit(UInt16(byte(data)) << 8 | UInt16(byte(data + 1)))
            default:
                reference = nil
            }
            if let reference {
                let total = byte(data + elementLength - 2)
                let sequence = byte(data + elementLength - 1)
                switch ConcatenationInfo.validated(reference: reference, total: total, sequence: sequence) {
                case .success(let info): concatenation = info
                case .failure(let error): return .failure(error)
                }
            }
            offset = data + elementLength
        }
        return .success(UserDataHeader(length: length, concatenation: concatenation))
    }

    /// Bytes of a header holding only the concatenation IE: 6 for an 8-bit reference
    /// (`05 00 03 ref total seq`), 7 for a 16-bit one (`06 08 04 refHi refLo total seq`).
    @inlinable
    public static func concatenationHeaderLength(for reference: ConcatenationReference) -> Int {
        switch reference {
        case .eightBit: return 6
        case .sixteenBit: return 7
        }
    }

    /// Writes a header holding only `info`'s concatenation IE at the start of `buffer`.
    ///
    /// `buffer` is any mutable byte collection with Int indices (an `[UInt8]` of sufficient
    /// count, or a raw mutable buffer); nothing is written when it is shorter than
    /// `concatenationHeaderLength(for:)`. Never allocates.
    @inlinable
    public static func writeConcatenation<Buffer: MutableCollection<UInt8>>(
        _ info: ConcatenationInfo, into buffer: inout Buffer
    ) -> WriteOutcome where Buffer.Index == Int {
        let needed = concatenationHeaderLength(for: info.reference)
        guard buffer.count >= needed else { return .needsCapacity(byteCount: needed) }
        let base = buffer.startIndex
        switch info.reference {
        case .eightBit(let reference):
            buffer[base] = 0x05
            buffer[base + 1] = 0x00
            buffer[base + 2] = 0x03
            buffer[base + 3] = reference
        case .sixteenBit(let reference):
            buffer[base] = 0x06
            buffer[base + 1] = 0x08
            buffer[base + 2] = 0x04
            buffer[base + 3] = UInt8(truncatingIfNeeded: reference >> 8)
            buffer[base + 4] = UInt8(truncatingIfNeeded: reference)
        }
        buffer[base + needed - 2] = info.total
        buffer[base + needed - 1] = info.sequence
        return .written(byteCount: needed)
    }

    /// The header holding only `info`'s concatenation IE, as a new array.
    public static func concatenationHeader(_ info: ConcatenationInfo) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: concatenationHeaderLength(for: info.reference))
        _ = writeConcatenation(info, into: &bytes)
        return bytes
    }
}
