// StoredAddress: an address as a record or a delivery keeps it, inline (no heap).
// Value: any thread.

/// An address as the record keeps it: TON, NPI and up to 20 characters.
public struct StoredAddress: Hashable, Sendable {
    /// The address characters (source_addr/destination_addr without the NUL).
    public var digits: ShortBytes
    /// type_of_number (SMPP v3.4 5.2.5).
    public var ton: UInt8
    /// numbering_plan_indicator (SMPP v3.4 5.2.6).
    public var npi: UInt8

    public init(_ digits: ShortBytes, ton: UInt8 = 0x01, npi: UInt8 = 0x01) {
        self.digits = digits
        self.ton = ton
        self.npi = npi
    }
}
