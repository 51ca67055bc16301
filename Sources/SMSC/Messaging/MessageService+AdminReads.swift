// Read-only views of the message service for the admin API (GET /v1/messages/{id}, the status
// page's store line). Kept apart from MessageService.swift: nothing here changes state. Loop
// thread only, like the service.
import Store

extension MessageService {
    /// The record of one message by its id as clients see it, whichever account owns it; nil
    /// for an id that does not parse, was never issued or has been purged after retention.
    func adminRecord(_ idText: String) -> MessageRecord? {
        guard let id = MessageID(parsing: idText, format: settings.idFormat) else { return nil }
        return store.record(id)
    }

    /// The id format clients see (the record's id as text).
    var adminIDFormat: MessageIDFormat { settings.idFormat }

    /// Most records the store keeps (`messages.max-records`).
    var storeCapacity: Int { settings.maxRecords }

    /// deliver_sm waiting or unanswered, all accounts together.
    var pendingDeliveriesTotal: Int { deliveries.count }
}
