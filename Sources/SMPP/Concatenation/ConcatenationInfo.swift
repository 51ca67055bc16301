// ConcatenationInfo: which segment of which concatenated message a short_message is (C-SUB-5),
// as read from a UDH (IEI 0x00/0x08) or the sar_* TLVs. Pure values: any thread.
// Invariant: 1 <= sequence <= total, enforced by `validated`, the only public way to make one.

/// The reference number that ties the segments of one message together.
public enum ConcatenationReference: Hashable, Sendable {
    /// IEI 0x00: one-octet reference.
    case eightBit(UInt8)
    /// IEI 0x08: two-octet reference, big-endian on the wire.
    case sixteenBit(UInt16)

    /// The reference as a number, whatever its width.
    @inlinable
    public var value: UInt16 {
        switch self {
        case .eightBit(let reference): return UInt16(reference)
        case .sixteenBit(let reference): return reference
        }
    }
}

/// Which segment of which concatenated message a short_message is.
public struct ConcatenationInfo: Hashable, Sendable {
    /// The message's reference number and its width.
    public let reference: ConcatenationReference
    /// Number of segments in the message, 1...255.
    public let total: UInt8
    /// This segment's 1-based position, 1...total.
    public let sequence: UInt8

    @inlinable
    init(unchecked reference: ConcatenationReference, total: UInt8, sequence: UInt8) {
        self.reference = reference
        self.total = total
        self.sequence = sequence
    }

    /// A ConcatenationInfo if `total` is at least 1 and `sequence` is within 1...total;
    /// otherwise the rule it breaks.
    @inlinable
    public static func validated(
        reference: ConcatenationReference, total: UInt8, sequence: UInt8
    ) -> Result<ConcatenationInfo, ConcatenationError> {
        if let error = numberingError(total: total, sequence: sequence) { return .failure(error) }
        return .success(ConcatenationInfo(unchecked: reference, total: total, sequence: sequence))
    }

    /// The numbering rule shared by UDH and sar_* TLVs: nil when valid.
    @inlinable
    static func numberingError(total: UInt8, sequence: UInt8) -> ConcatenationError? {
        if total == 0 { return .zeroTotal }
        if sequence == 0 { return .zeroSequence }
        if sequence > total { return .sequenceAboveTotal }
        return nil
    }
}
