// SarInfo: the sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs (spec 5.3.2.22-24),
// the TLV alternative to a concatenation UDH (C-SUB-5). Same numbering rule as the UDH:
// 1 <= sarSegmentSeqnum <= sarTotalSegments; the three TLVs come together or not at all.

/// Validated sar_* TLV values of one segment.
public struct SarInfo: Hashable, Sendable {
    /// sar_msg_ref_num (TLV 0x020C): the reference shared by all segments.
    public let sarMsgRefNum: UInt16
    /// sar_total_segments (TLV 0x020E): 1...255.
    public let sarTotalSegments: UInt8
    /// sar_segment_seqnum (TLV 0x020F): 1...sarTotalSegments.
    public let sarSegmentSeqnum: UInt8

    /// A SarInfo if the numbering is valid, else the rule it breaks (`.zeroTotal`,
    /// `.zeroSequence`, `.sequenceAboveTotal`).
    @inlinable
    public static func validated(
        sarMsgRefNum: UInt16, sarTotalSegments: UInt8, sarSegmentSeqnum: UInt8
    ) -> Result<SarInfo, ConcatenationError> {
        if let error = ConcatenationInfo.numberingError(total: sarTotalSegments, sequence: sarSegmentSeqnum) {
            return .failure(error)
        }
        return .success(SarInfo(
            sarMsgRefNum: sarMsgRefNum, sarTotalSegments: sarTotalSegments, sarSegmentSeqnum: sarSegmentSeqnum))
    }

    /// What a submit_sm's sar_* TLVs amount to: `.success(nil)` when none is present, a
    /// validated SarInfo when all three are, `.incompleteSar` when only some are, or the
    /// numbering error. Never allocates.
    @inlinable
    public static func fromTLVs(
        sarMsgRefNum: UInt16?, sarTotalSegments: UInt8?, sarSegmentSeqnum: UInt8?
    ) -> Result<SarInfo?, ConcatenationError> {
        switch (sarMsgRefNum, sarTotalSegments, sarSegmentSeqnum) {
        case (nil, nil, nil):
            return .success(nil)
        case let (reference?, total?, sequence?):
            return validated(sarMsgRefNum: reference, sarTotalSegments: total, sarSegmentSeqnum: sequence)
                .map { Optional($0) }
        default:
            return .failure(.incompleteSar)
        }
    }

    @inlinable
    init(sarMsgRefNum: UInt16, sarTotalSegments: UInt8, sarSegmentSeqnum: UInt8) {
        self.sarMsgRefNum = sarMsgRefNum
        self.sarTotalSegments = sarTotalSegments
        self.sarSegmentSeqnum = sarSegmentSeqnum
    }

    /// The same segment as a 16-bit-reference concatenation (UDH IEI 0x08).
    @inlinable
    public var concatenation: ConcatenationInfo {
        ConcatenationInfo(unchecked: .sixteenBit(sarMsgRefNum), total: sarTotalSegments, sequence: sarSegmentSeqnum)
    }

    /// The sar_* values of a concatenation UDH (an 8-bit reference widens to 16 bits).
    @inlinable
    public init(_ concatenation: ConcatenationInfo) {
        self.init(
            sarMsgRefNum: concatenation.reference.value,
            sarTotalSegments: concatenation.total,
            sarSegmentSeqnum: concatenation.sequence)
    }
}
