// MessageRecord: what the store keeps of one submitted message (one per segment, C-SUB-5):
// enough to answer query_sm (C-MGT-1), decide cancel_sm (C-MGT-2) and write the receipt
// (C-DLV-1) without the original PDU. Pure value: any thread; the store that holds it is
// loop-only. Fields are ordered for packing (below); StoreTests.recordLayoutStaysCompact
// checks the size and measures the per-record cost in the store.

import SMPP

/// One message's record. Times are Unix milliseconds (wall clock; libev's `ev_now() * 1000`).
///
/// Stored properties are declared in layout order: Swift lays them out as declared, and each
/// ShortBytes (21 bytes, 8-aligned) leaves 3 bytes that the one- and two-byte fields after it
/// fill, so the record is 141 bytes and a store slot 144 (StoreTests checks both). The fields a
/// carrier outcome reads and writes (id, the deadlines, finalTime, registeredDelivery, state,
/// isForwarded) are all in the first 64 bytes: at full load the store is mostly cache misses,
/// and an outcome then touches one or two cache lines instead of three.
public struct MessageRecord: Hashable, Sendable {
    /// The message_id (C-SUB-1).
    public var id: MessageID
    /// When submit_sm was accepted (the receipt's `submit date:`).
    public var submitTime: Int64
    /// validityDeadline, `Int64.min` for none (an optional Int64 would cost 8 bytes more).
    private var validityDeadlineStorage: Int64
    /// The hold rule: from this time the message counts as forwarded even if no worker
    /// confirmed taking it (C-SIM-2 `9990`: submit + 60 s). `Int64.max`: only a confirmed
    /// take or a carrier outcome forwards it.
    public var forwardDeadline: Int64
    /// finalTime, `Int64.min` while not final.
    private var finalTimeStorage: Int64
    /// The owning account's system_id; query_sm/cancel_sm from another account do not see it.
    public var systemID: ShortBytes
    /// registered_delivery as submitted (C-SUB-8 reads bits 0-1, bit 4 is intermediate).
    public var registeredDelivery: UInt8
    /// The state query_sm reports (C-MGT-1); ENROUTE until the carrier or the store moves it.
    public var state: MessageState
    /// True once the carrier took the message (a worker's take confirmed on the loop, the
    /// hold deadline, or a carrier outcome); cancel_sm fails from then on. See MessageTransition.
    public var isForwarded: Bool
    /// source_addr as submitted (or the account's default number): the receipt's destination.
    public var source: StoredAddress
    /// The encoding of the original short_message.
    public var dataCoding: DataCoding
    /// destination_addr: the receipt's source.
    public var destination: StoredAddress
    /// The receipt's `text:` field: the first 20 characters as ASCII ("?" for the rest),
    /// made by `MessageRecord.receiptText(of:coding:)`.
    public var receiptText: ShortBytes
    /// network error code for `err:` and network_error_code, 0...999; 0 until an outcome sets it.
    public var errorCode: UInt16
    /// The segment's place when the client concatenated the message itself (C-SUB-5).
    public var concatenation: ConcatenationInfo?

    /// When the message ends EXPIRED if still not final (C-SUB-7). The store clamps it to
    /// `submitTime + maximumValidityMillis`, so every record has one once inserted.
    public var validityDeadline: Int64? {
        get { validityDeadlineStorage == .min ? nil : validityDeadlineStorage }
        set { validityDeadlineStorage = newValue ?? .min }
    }

    /// When the message reached a final state (query_sm final_date, the receipt's `done
    /// date:`); nil while not final.
    public var finalTime: Int64? {
        get { finalTimeStorage == .min ? nil : finalTimeStorage }
        set { finalTimeStorage = newValue ?? .min }
    }

    /// A new ENROUTE, not yet forwarded record.
    public init(
        id: MessageID, systemID: ShortBytes, source: StoredAddress, destination: StoredAddress,
        dataCoding: DataCoding = .smscDefault, registeredDelivery: UInt8 = 0, receiptText: ShortBytes = ShortBytes(),
        submitTime: Int64, validityDeadline: Int64? = nil, forwardDeadline: Int64 = .max,
        concatenation: ConcatenationInfo? = nil
    ) {
        self.id = id
        self.systemID = systemID
        self.dataCoding = dataCoding
        self.registeredDelivery = registeredDelivery
        self.state = .enroute
        self.isForwarded = false
        self.source = source
        self.destination = destination
        self.errorCode = 0
        self.concatenation = concatenation
        self.receiptText = receiptText
        self.submitTime = submitTime
        self.validityDeadlineStorage = validityDeadline ?? .min
        self.forwardDeadline = forwardDeadline
        self.finalTimeStorage = .min
    }

    /// The record's place in the transition table at `now`: the hold rule counts as forwarded.
    @inlinable
    public func status(at now: Int64) -> MessageStatus {
        Self.status(state: state, isForwarded: isForwarded, forwardDeadline: forwardDeadline, at: now)
    }

    /// `status(at:)` from the three fields it reads (the store asks without copying a record).
    @inlinable
    public static func status(state: MessageState, isForwarded: Bool, forwardDeadline: Int64, at now: Int64) -> MessageStatus {
        MessageStatus(state: state, isForwarded: isForwarded || now >= forwardDeadline)
    }

    /// Whether registered_delivery asks for a receipt when the message reaches `state`
    /// (C-SUB-8): bits 0-1 = 1, any final state; = 2, final states other than DELIVERED
    /// (DELETED, EXPIRED, UNDELIVERABLE, REJECTED, UNKNOWN count as failure); bit 4 (0x10,
    /// intermediate notification), the non-final ones (ACCEPTED).
    @inlinable
    public func wantsReceipt(for state: MessageState) -> Bool {
        Self.wantsReceipt(registeredDelivery: registeredDelivery, for: state)
    }

    /// Whether reaching `state` sends the client a deliver_sm: a receipt it asked for, or the
    /// ACCEPTD notice. ACCEPTED counts as final in v3.4 §5.2.28, and …9995 exists so that
    /// clients see an ACCEPTD receipt before its UNKNOWN one: it goes out whenever receipts are
    /// asked for (bits 0-1 = 1).
    @inlinable
    public func wantsReceiptNotice(for state: MessageState) -> Bool {
        Self.wantsReceiptNotice(registeredDelivery: registeredDelivery, for: state)
    }

    /// `wantsReceipt(for:)` from the one field it reads (the store asks without copying a record).
    @inlinable
    public static func wantsReceipt(registeredDelivery: UInt8, for state: MessageState) -> Bool {
        guard state.isFinal else { return registeredDelivery & 0x10 != 0 }
        switch registeredDelivery & 0x03 {
        case 1: return true
        case 2: return state != .delivered
        default: return false
        }
    }

    /// `wantsReceiptNotice(for:)` from the one field it reads.
    @inlinable
    public static func wantsReceiptNotice(registeredDelivery: UInt8, for state: MessageState) -> Bool {
        wantsReceipt(registeredDelivery: registeredDelivery, for: state) || (state == .accepted && registeredDelivery & 0x03 == 1)
    }
}
