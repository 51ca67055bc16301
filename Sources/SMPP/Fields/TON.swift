// TON: type of number (source_addr_ton, dest_addr_ton, addr_ton, esme_addr_ton), SMPP v3.4 §5.2.5.
// A value type; any thread.

/// A type-of-number octet. Values outside the spec table are representable; `isKnown` lets the
/// server answer them with ESME_RINVSRCTON / ESME_RINVDSTTON (C-SUB-2).
public struct TON: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8

    @inlinable
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    @inlinable public static var unknown: TON { TON(rawValue: 0b0000_0000) }
    @inlinable public static var international: TON { TON(rawValue: 0b0000_0001) }
    @inlinable public static var national: TON { TON(rawValue: 0b0000_0010) }
    @inlinable public static var networkSpecific: TON { TON(rawValue: 0b0000_0011) }
    @inlinable public static var subscriberNumber: TON { TON(rawValue: 0b0000_0100) }
    @inlinable public static var alphanumeric: TON { TON(rawValue: 0b0000_0101) }
    @inlinable public static var abbreviated: TON { TON(rawValue: 0b0000_0110) }

    /// True for the seven values of the spec table (0–6).
    @inlinable public var isKnown: Bool { rawValue <= 6 }

    /// The spec's name ("International"), or "unknown value". Never allocates.
    public var name: String {
        switch rawValue {
        case 0: "Unknown"
        case 1: "International"
        case 2: "National"
        case 3: "Network Specific"
        case 4: "Subscriber Number"
        case 5: "Alphanumeric"
        case 6: "Abbreviated"
        default: "unknown value"
        }
    }
}
