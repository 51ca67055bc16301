// SegmentLimits: the per-segment length rule of C-SUB-4, checked on raw short_message bytes.
// Called by the server once per submit_sm: allocation-free and @inlinable so it specialises
// for the caller's buffer type. Limits: 160/70 characters, 153/67 for a concatenated segment.
// Pure functions over the caller's bytes: any thread.

/// The verdict on one segment's text. Everything but `.ok` maps to `ESME_RINVMSGLEN`
/// (C-SUB-4), except `.unsupportedCoding` (C-SUB-3, status documented in the README).
public enum TextCheck: Hashable, Sendable {
    /// Valid; `characters` as counted by C-SUB-3 (UCS-2: 2-byte units).
    case ok(characters: Int)
    /// More characters than `limit` allows.
    case tooLong(characters: Int, limit: Int)
    /// UCS-2 text with an odd number of bytes.
    case oddLength
    /// An ASCII byte above 0x7F, or an unpaired UCS-2 surrogate.
    case invalidCharacter
    /// A data_coding smppd does not support.
    case unsupportedCoding
}

/// Per-segment character limits (C-SUB-4) and the check that applies them.
public enum SegmentLimits {
    /// ASCII/Latin-1 characters in a single, unconcatenated message.
    public static let singleByteLimit = 160
    /// ASCII/Latin-1 characters in one segment of a concatenated message.
    public static let singleByteSegmentLimit = 153
    /// UCS-2 units in a single, unconcatenated message.
    public static let ucs2Limit = 70
    /// UCS-2 units in one segment of a concatenated message.
    public static let ucs2SegmentLimit = 67

    /// The character limit for `charset`: the segment limit when `hasConcatenationUDH`.
    @inlinable
    public static func limit(for charset: TextCharset, hasConcatenationUDH: Bool) -> Int {
        switch charset {
        case .ascii, .latin1: return hasConcatenationUDH ? singleByteSegmentLimit : singleByteLimit
        case .ucs2: return hasConcatenationUDH ? ucs2SegmentLimit : ucs2Limit
        }
    }

    /// Checks one segment's message text against C-SUB-3/4.
    ///
    /// - Parameters:
    ///   - text: the short_message bytes *after* any UDH (see `UserDataHeader.parse`), as an
    ///     `[UInt8]`, an `ArraySlice`, or a raw buffer over the PDU. Not retained.
    ///   - coding: the PDU's data_coding.
    ///   - hasConcatenationUDH: true when the message is one segment of a concatenated
    ///     message: a UDH with a concatenation IE, or the sar_* TLVs (the carrier adds the
    ///     UDH on air). Selects 153/67 instead of 160/70.
    /// - Returns: the first problem found, in this order: unsupported coding, odd UCS-2
    ///   length, invalid character, too long; or `.ok` with the character count.
    ///
    /// UCS-2 surrogates must be paired, except that a concatenated segment may start with a
    /// low surrogate or end with a high one: clients that split by units break pairs at
    /// segment boundaries, and the handset rejoins them. Never allocates.
    @inlinable
    public static func check<Bytes: RandomAccessCollection<UInt8>>(
        _ text: Bytes, coding: DataCoding, hasConcatenationUDH: Bool
    ) -> TextCheck {
        guard let charset = coding.charset else { return .unsupportedCoding }
        let characters: Int
        switch charset {
        case .ascii:
            // OR of every byte, over contiguous storage when there is some: a loop LLVM
            // vectorises, where an element-by-element search does not.
            let contiguous: Bool? = text.withContiguousStorageIfAvailable { bytes in
                var any: UInt8 = 0
                for byte in bytes { any |= byte }
                return any & 0x80 != 0
            }
            if contiguous ?? text.contains(where: { $0 > 0x7F }) { return .invalidCharacter }
            characters = text.count
        case .latin1:
            characters = text.count
        case .ucs2:
            guard text.count % 2 == 0 else { return .oddLength }
            guard ucs2SurrogatesArePaired(text, allowSplitPairAtEdges: hasConcatenationUDH) else {
                return .invalidCharacter
            }
            characters = text.count / 2
        }
        let limit = limit(for: charset, hasConcatenationUDH: hasConcatenationUDH)
        return characters <= limit ? .ok(characters: characters) : .tooLong(characters: characters, limit: limit)
    }

    /// True when every surrogate in even-length UTF-16BE `text` is paired; with
    /// `allowSplitPairAtEdges`, a leading low or trailing high surrogate is also accepted.
    @inlinable
    static func ucs2SurrogatesArePaired<Bytes: RandomAccessCollection<UInt8>>(
        _ text: Bytes, allowSplitPairAtEdges: Bool
    ) -> Bool {
        let unitCount = text.count / 2
        var expectingLow = false
        var unitIndex = 0
        var index = text.startIndex
        while unitIndex < unitCount {
            // Only the high byte decides whether a unit is a surrogate (0xD8-0xDF).
            let high = text[index]
            index = text.index(index, offsetBy: 2)
            let isHighSurrogate = high & 0xFC == 0xD8
            let isLowSurrogate = high & 0xFC == 0xDC
            if expectingLow {
                guard isLowSurrogate else { return false }
                expectingLow = false
            } else if isHighSurrogate {
                expectingLow = true
            } else if isLowSurrogate {
                guard allowSplitPairAtEdges && unitIndex == 0 else { return false }
            }
            unitIndex += 1
        }
        return !expectingLow || allowSplitPairAtEdges
    }
}
