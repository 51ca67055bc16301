// DeliveryPayload: what one deliver_sm carries, as PendingDeliveries<DeliveryPayload> queues
// it for an account (C-DLV-1, C-DLV-2). Values only: the receipt keeps a snapshot of the
// record, so it can be sent even after the record's retention ends. Any thread.

import SMPP

/// A mobile-originated message to deliver (C-DLV-2): esm_class 0x00.
public struct MobileOriginatedMessage: Hashable, Sendable {
    /// The subscriber.
    public var source: StoredAddress
    /// The account's number.
    public var destination: StoredAddress
    public var dataCoding: DataCoding
    /// short_message (or message_payload) bytes, UDH included when esm_class says so.
    public var shortMessage: [UInt8]
    public var esmClass: UInt8
    /// The MO's number ("mo-<id>" in the admin API), unique across restarts: the durable
    /// journal names an MO by it when it is acknowledged.
    public var id: UInt64

    public init(source: StoredAddress, destination: StoredAddress, dataCoding: DataCoding,
                shortMessage: [UInt8], esmClass: UInt8 = 0x00, id: UInt64 = 0) {
        self.id = id
        self.source = source
        self.destination = destination
        self.dataCoding = dataCoding
        self.shortMessage = shortMessage
        self.esmClass = esmClass
    }
}

/// One deliver_sm's content.
public enum DeliveryPayload: Hashable, Sendable {
    /// A delivery receipt (esm_class 0x04) for the record as it was when it changed state.
    case receipt(MessageRecord)
    /// A mobile-originated message.
    case mobileOriginated(MobileOriginatedMessage)
}

/// The queue the session layer keeps: deliver_sm work per account.
public typealias DeliveryQueue = PendingDeliveries<DeliveryPayload>
