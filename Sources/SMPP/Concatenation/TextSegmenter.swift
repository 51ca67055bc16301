// TextSegmenter: splits a long text into SMS segments (C-SUB-4, C-SUB-5), e.g. for a
// message_payload the server splits itself, and builds each segment's short_message with
// a concatenation UDH. Not a hot path: it allocates the segments.
// Invariant: a UCS-2 segment never ends inside a surrogate pair (TS 23.040 9.2.3.24.1).

/// Why a text could not be split.
public enum SegmentationError: Error, Hashable, Sendable {
    /// The bytes or the String are not valid text in the coding (or the coding is unsupported).
    case invalidText(TextError)
    /// More than 255 segments would be needed; a concatenation header cannot number them.
    case tooManySegments(Int)
}

/// Splits message text into segments of at most 160/153 (ASCII, Latin-1) or 70/67
/// (UCS-2) characters.
public enum TextSegmenter {
    /// Most segments one concatenated message can have (the UDH total is one octet).
    public static let maximumSegments = 255

    /// Splits message bytes already encoded in `coding` (no UDH).
    ///
    /// Text within the single-message limit (160 or 70) stays one segment, which needs no
    /// UDH; the empty text is one empty segment. Longer text is cut into 153-character
    /// (UCS-2: 67-unit) segments, the last one shorter; a UCS-2 cut that would end a segment
    /// on a high surrogate moves one unit earlier, so that segment holds 66.
    /// The bytes are validated first: unsupported coding, ASCII above 0x7F, odd UCS-2
    /// length and unpaired surrogates fail with `.invalidText`.
    public static func split<Bytes: Collection<UInt8>>(
        _ bytes: Bytes, coding: DataCoding
    ) -> Result<[[UInt8]], SegmentationError> {
        let text = Array(bytes)
        if let error = validationError(text, coding: coding) { return .failure(.invalidText(error)) }
        let charset = coding.charset!  // validationError rejects unsupported codings
        let unitSize = charset == .ucs2 ? 2 : 1
        let units = text.count / unitSize
        if units <= SegmentLimits.limit(for: charset, hasConcatenationUDH: false) { return .success([text]) }

        let perSegment = SegmentLimits.limit(for: charset, hasConcatenationUDH: true)
        var segments: [[UInt8]] = []
        var start = 0
        while start < units {
            var end = min(start + perSegment, units)
            if charset == .ucs2 && end < units && isHighSurrogate(text, unit: end - 1) { end -= 1 }
            segments.append(Array(text[start * unitSize ..< end * unitSize]))
            start = end
        }
        guard segments.count <= maximumSegments else { return .failure(.tooManySegments(segments.count)) }
        return .success(segments)
    }

    /// Encodes `text` in `coding`, then splits it as `split(_:coding:)` does.
    public static func split(text: String, coding: DataCoding) -> Result<[[UInt8]], SegmentationError> {
        switch coding.encode(text) {
        case .success(let bytes): return split(bytes, coding: coding)
        case .failure(let error): return .failure(.invalidText(error))
        }
    }

    /// Each segment prefixed with its concatenation UDH (`reference`, total = segment
    /// count, sequence 1, 2, ...): the short_message of each submit_sm/deliver_sm, which
    /// must carry esm_class UDHI (0x40). Adds a header even to a lone segment.
    /// Precondition: 1...255 segments (what `split` returns).
    public static func shortMessages(
        segments: [[UInt8]], reference: ConcatenationReference
    ) -> [[UInt8]] {
        precondition((1...maximumSegments).contains(segments.count), "segment count must be 1...255")
        let total = UInt8(segments.count)
        return segments.enumerated().map { index, segment in
            let info = ConcatenationInfo(unchecked: reference, total: total, sequence: UInt8(index + 1))
            return UserDataHeader.concatenationHeader(info) + segment
        }
    }

    private static func isHighSurrogate(_ text: [UInt8], unit: Int) -> Bool {
        text[unit * 2] & 0xFC == 0xD8
    }

    private static func validationError(_ text: [UInt8], coding: DataCoding) -> TextError? {
        guard let charset = coding.charset else { return .unsupportedCoding(coding) }
        switch charset {
        case .latin1:
            return nil
        case .ascii:
            return text.firstIndex { $0 > 0x7F }.map { .invalidByte(offset: $0) }
        case .ucs2:
            guard text.count % 2 == 0 else { return .oddLength }
            var scalars = UCS2Scalars(text)
            while let step = scalars.next() {
                if case .unpairedSurrogate(let offset) = step { return .unpairedSurrogate(offset: offset) }
            }
            return nil
        }
    }
}
