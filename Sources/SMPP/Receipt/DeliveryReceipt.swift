// DeliveryReceipt: the fields of a delivery receipt's text (C-DLV-1) as ReceiptText.parse
// reads them. A value type; only id and stat are required, as real receipts vary.

/// The fields of a parsed delivery receipt. Only `id` and `stat` are required; every other
/// field is nil when absent or unreadable.
public struct DeliveryReceipt: Hashable, Sendable {
    /// `id:`, the message_id of the original submit_sm.
    public var id: String
    /// `sub:`, number of messages submitted.
    public var submitted: Int?
    /// `dlvrd:`, number of messages delivered.
    public var delivered: Int?
    /// `submit date:`, UTC; years read as 20YY.
    public var submitDate: CivilDateTime?
    /// `done date:`, UTC; years read as 20YY.
    public var doneDate: CivilDateTime?
    /// `stat:` as written, upper-cased.
    public var stat: String
    /// The state `stat` names; nil for a word `MessageState(stat:)` does not know.
    public var state: MessageState?
    /// `err:` as written (usually three digits, some carriers write other codes).
    public var error: String?
    /// `text:` to the end of the receipt; nil when the field is missing.
    public var text: String?

    /// A receipt with the required fields; the rest start nil.
    public init(id: String, stat: String) {
        self.id = id
        self.stat = stat.uppercased()
        self.state = MessageState(stat: stat)
    }

    /// `error` as a number when it is all decimal digits.
    public var errorCode: Int? {
        guard let error, !error.isEmpty, error.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(error)
    }
}
