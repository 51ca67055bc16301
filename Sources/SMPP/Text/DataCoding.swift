// DataCoding: the submit_sm/deliver_sm data_coding octet and what smppd makes of it (C-SUB-3).
// Owns which codings are supported and how characters are counted per coding (C-SUB-3/4).
// Invariant: only 0x00, 0x01 (ASCII), 0x03 (Latin-1) and 0x08 (UCS-2) have a charset;
// every other value is representable (it round-trips) but `isSupported` is false.
// Pure values, no state: any thread.

/// The character set a supported `DataCoding` maps to.
public enum TextCharset: Sendable, Hashable {
    /// 7-bit ASCII, one byte per character; bytes above 0x7F are invalid.
    case ascii
    /// ISO-8859-1, one byte per character, byte N is U+00NN.
    case latin1
    /// UCS-2 as UTF-16BE: 2-byte units, surrogate pairs allowed (an emoji counts 2 units).
    case ucs2
}

/// The SMPP v3.4 `data_coding` field (spec 5.2.19), kept as its raw octet.
///
/// smppd supports four values (C-SUB-3): 0x00 "SMSC default" which the product treats as
/// ASCII (not GSM 03.38), 0x01 IA5/ASCII, 0x03 Latin-1 and 0x08 UCS-2. Any other octet can
/// be held and echoed, but `charset` is nil and `isSupported` is false.
public struct DataCoding: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The octet as it appears on the wire.
    public var rawValue: UInt8

    /// Wraps any octet; never fails.
    @inlinable
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// 0x00, SMSC default alphabet: ASCII here, per the product page (C-SUB-3).
    public static let smscDefault = DataCoding(rawValue: 0x00)
    /// 0x01, IA5 (CCITT T.50) / ASCII.
    public static let ascii = DataCoding(rawValue: 0x01)
    /// 0x03, Latin-1 (ISO-8859-1).
    public static let latin1 = DataCoding(rawValue: 0x03)
    /// 0x08, UCS-2 (ISO/IEC-10646), carried as UTF-16BE.
    public static let ucs2 = DataCoding(rawValue: 0x08)

    /// The charset for a supported coding; nil for every other octet.
    @inlinable
    public var charset: TextCharset? {
        switch rawValue {
        case 0x00, 0x01: return .ascii
        case 0x03: return .latin1
        case 0x08: return .ucs2
        default: return nil
        }
    }

    /// True for 0x00, 0x01, 0x03 and 0x08 (C-SUB-3).
    @inlinable
    public var isSupported: Bool { charset != nil }

    /// "0x08 (UCS-2)" style text for logs.
    public var description: String {
        let hex = String(rawValue, radix: 16, uppercase: true)
        let name: String
        switch rawValue {
        case 0x00: name = "SMSC default/ASCII"
        case 0x01: name = "ASCII"
        case 0x03: name = "Latin-1"
        case 0x08: name = "UCS-2"
        default: name = "unsupported"
        }
        return "0x" + (hex.count < 2 ? "0" : "") + hex + " (" + name + ")"
    }

    /// The coding smppd picks for outgoing text: ASCII (0x01) if every scalar is at most
    /// U+007F, else Latin-1 (0x03) if every scalar is at most U+00FF, else UCS-2 (0x08).
    /// The empty string is ASCII.
    public static func narrowestCoding(for text: String) -> DataCoding {
        var widest: UInt32 = 0
        for scalar in text.unicodeScalars {
            widest = max(widest, scalar.value)
            if widest > 0xFF { return .ucs2 }
        }
        return widest <= 0x7F ? .ascii : .latin1
    }

    /// Characters that `bytes` (message text, any UDH already removed) count as under
    /// C-SUB-3/4: one per byte for ASCII and Latin-1, one per 2-byte unit for UCS-2
    /// (rounded down; odd lengths are reported by `SegmentLimits.check`). Nil if unsupported.
    /// Does not validate the bytes and does not allocate.
    @inlinable
    public func characterCount(ofByteCount byteCount: Int) -> Int? {
        switch charset {
        case .ascii, .latin1: return byteCount
        case .ucs2: return byteCount / 2
        case nil: return nil
        }
    }

    /// Characters `text` counts as once encoded in this coding (C-SUB-3/4): Unicode scalars
    /// for ASCII and Latin-1, UTF-16 units for UCS-2 (so "😀" counts 2). Nil if unsupported.
    /// Does not check that `text` is representable; see `encode(_:)`.
    public func characterCount(of text: String) -> Int? {
        switch charset {
        case .ascii, .latin1: return text.unicodeScalars.count
        case .ucs2: return text.utf16.count
        case nil: return nil
        }
    }
}
