// NPI: numbering plan indicator (source_addr_npi, dest_addr_npi, addr_npi, esme_addr_npi), SMPP v3.4
// §5.2.6. A value type; any thread.

/// A numbering-plan octet. Values outside the spec table are representable; `isKnown` lets the
/// server answer them with ESME_RINVSRCNPI / ESME_RINVDSTNPI (C-SUB-2).
public struct NPI: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8

    @inlinable
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    @inlinable public static var unknown: NPI { NPI(rawValue: 0) }
    /// ISDN (E163/E164).
    @inlinable public static var isdn: NPI { NPI(rawValue: 1) }
    /// Data (X.121).
    @inlinable public static var data: NPI { NPI(rawValue: 3) }
    /// Telex (F.69).
    @inlinable public static var telex: NPI { NPI(rawValue: 4) }
    /// Land Mobile (E.212).
    @inlinable public static var landMobile: NPI { NPI(rawValue: 6) }
    @inlinable public static var national: NPI { NPI(rawValue: 8) }
    @inlinable public static var `private`: NPI { NPI(rawValue: 9) }
    @inlinable public static var ermes: NPI { NPI(rawValue: 10) }
    /// Internet (IP).
    @inlinable public static var internet: NPI { NPI(rawValue: 14) }
    @inlinable public static var wapClientID: NPI { NPI(rawValue: 18) }

    /// True for the ten values of the spec table (0, 1, 3, 4, 6, 8, 9, 10, 14, 18).
    @inlinable
    public var isKnown: Bool {
        switch rawValue {
        case 0, 1, 3, 4, 6, 8, 9, 10, 14, 18: true
        default: false
        }
    }

    /// The spec's name ("ISDN (E163/E164)"), or "unknown value". Never allocates.
    public var name: String {
        switch rawValue {
        case 0: "Unknown"
        case 1: "ISDN (E163/E164)"
        case 3: "Data (X.121)"
        case 4: "Telex (F.69)"
        case 6: "Land Mobile (E.212)"
        case 8: "National"
        case 9: "Private"
        case 10: "ERMES"
        case 14: "Internet (IP)"
        case 18: "WAP Client Id"
        default: "unknown value"
        }
    }
}
