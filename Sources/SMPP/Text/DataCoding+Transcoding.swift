// DataCoding+Transcoding: message bytes <-> String for the supported codings (C-SUB-3).
// Rules: ASCII rejects bytes above 0x7F; Latin-1 maps bytes 1:1 onto U+0000-U+00FF;
// UCS-2 is UTF-16BE, odd lengths and unpaired surrogates are errors.
// These allocate (they build Strings/arrays); the per-PDU checks live in SegmentLimits.

extension DataCoding {
    /// Decodes message text (any UDH already removed) to a String.
    ///
    /// Accepts any byte collection (an `[UInt8]`, an `ArraySlice`, or a raw buffer over
    /// the PDU). Rejects: unsupported codings, ASCII bytes above 0x7F, odd-length UCS-2 and
    /// unpaired surrogates. Allocates the result.
    public func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Result<String, TextError> {
        guard let charset else { return .failure(.unsupportedCoding(self)) }
        var text = String()
        switch charset {
        case .ascii, .latin1:
            text.reserveCapacity(bytes.count)
            for (offset, byte) in bytes.enumerated() {
                if charset == .ascii && byte > 0x7F { return .failure(.invalidByte(offset: offset)) }
                text.unicodeScalars.append(Unicode.Scalar(byte))
            }
        case .ucs2:
            guard bytes.count % 2 == 0 else { return .failure(.oddLength) }
            text.reserveCapacity(bytes.count)
            var decoder = UCS2Scalars(bytes)
            while let next = decoder.next() {
                switch next {
                case .scalar(let scalar): text.unicodeScalars.append(scalar)
                case .unpairedSurrogate(let offset): return .failure(.unpairedSurrogate(offset: offset))
                }
            }
        }
        return .success(text)
    }

    /// Encodes `text` in this coding: ASCII and Latin-1 one byte per scalar, UCS-2 as
    /// UTF-16BE (non-BMP scalars become a surrogate pair, 4 bytes).
    ///
    /// Fails on an unsupported coding or a scalar the coding cannot carry. Allocates.
    public func encode(_ text: String) -> Result<[UInt8], TextError> {
        guard let charset else { return .failure(.unsupportedCoding(self)) }
        var bytes: [UInt8] = []
        switch charset {
        case .ascii, .latin1:
            let widest: UInt32 = charset == .ascii ? 0x7F : 0xFF
            bytes.reserveCapacity(text.utf8.count)
            for scalar in text.unicodeScalars {
                guard scalar.value <= widest else { return .failure(.unrepresentable(scalar)) }
                bytes.append(UInt8(truncatingIfNeeded: scalar.value))
            }
        case .ucs2:
            bytes.reserveCapacity(text.utf16.count * 2)
            for unit in text.utf16 {
                bytes.append(UInt8(truncatingIfNeeded: unit >> 8))
                bytes.append(UInt8(truncatingIfNeeded: unit))
            }
        }
        return .success(bytes)
    }
}

/// Walks UTF-16BE bytes scalar by scalar without allocating. Used by decoding and by the
/// receipt's text field. A trailing odd byte is ignored: callers check the length first.
@usableFromInline
struct UCS2Scalars<Bytes: Collection<UInt8>>: IteratorProtocol {
    @usableFromInline
    enum Step {
        case scalar(Unicode.Scalar)
        case unpairedSurrogate(offset: Int)
    }

    @usableFromInline var iterator: Bytes.Iterator
    @usableFromInline var offset = 0
    /// A unit already read that must be handled before reading on (after a high surrogate
    /// that turned out unpaired).
    @usableFromInline var pending: UInt16?

    @inlinable
    init(_ bytes: Bytes) { iterator = bytes.makeIterator() }

    @inlinable
    mutating func nextUnit() -> UInt16? {
        if let unit = pending {
            pending = nil
            return unit
        }
        guard let high = iterator.next(), let low = iterator.next() else { return nil }
        offset += 2
        return UInt16(high) << 8 | UInt16(low)
    }

    @inlinable
    mutating func next() -> Step? {
        guard let unit = nextUnit() else { return nil }
        let unitOffset = offset - 2
        switch unit {
        case 0xD800...0xDBFF:
            guard let trail = nextUnit() else { return .unpairedSurrogate(offset: unitOffset) }
            guard (0xDC00...0xDFFF).contains(trail) else {
                pending = trail
                return .unpairedSurrogate(offset: unitOffset)
            }
            let value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(trail) - 0xDC00)
            return .scalar(Unicode.Scalar(value)!)
        case 0xDC00...0xDFFF:
            return .unpairedSurrogate(offset: unitOffset)
        default:
            return .scalar(Unicode.Scalar(unit)!)
        }
    }
}
