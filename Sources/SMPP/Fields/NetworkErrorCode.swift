// NetworkErrorCode: the value of the network_error_code TLV (SMPP v3.4 §5.3.2.31). A value type;
// any thread.

/// network_error_code (0x0423): a network type (1 = ANSI 136, 2 = IS 95, 3 = GSM, …) and a
/// 2-octet error code, as the spec's 3-octet value.
public struct NetworkErrorCode: Hashable, Sendable {
    public var networkType: UInt8
    public var errorCode: UInt16

    @inlinable
    public init(networkType: UInt8, errorCode: UInt16) {
        self.networkType = networkType
        self.errorCode = errorCode
    }
}
