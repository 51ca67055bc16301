// ConcatenationError: every way a concatenation UDH or a set of sar_* TLVs can be malformed.
// Each case maps to ESME_RINVMSGLEN (C-SUB-4); the case says which rule broke, for logs.

/// Why a UDH or a set of sar_* TLVs is malformed. The server answers `ESME_RINVMSGLEN`
/// for every case (C-SUB-4).
public enum ConcatenationError: Error, Hashable, Sendable {
    /// UDHI is set but short_message is empty: there is no UDHL octet.
    case missingHeaderLength
    /// The UDHL octet claims more bytes than short_message holds.
    case headerPastEnd
    /// An information element (its IEI/length octets or its data) runs past the UDHL.
    case elementPastHeader
    /// IEI 0x00 with a length other than 3, or IEI 0x08 with a length other than 4.
    case badConcatenationLength
    /// Total number of segments is 0.
    case zeroTotal
    /// Segment sequence number is 0.
    case zeroSequence
    /// Segment sequence number is above the total.
    case sequenceAboveTotal
    /// Some of sar_msg_ref_num, sar_total_segments, sar_segment_seqnum are present, not all.
    case incompleteSar
}
