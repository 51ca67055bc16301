// StoreRecovery: start-up's replay of the journal into a MemoryMessageStore, and what else
// the journal knew: the deliveries still pending (receipts and MO not acknowledged), the
// accounts' credits and the id floors. The caller (the messaging service) queues the
// deliveries again, hands the records that are not final back to the carrier and opens the
// journal for new batches after the last one read.

import Journal
import SMPP

public struct RecoveredStore {
    /// What the segment scan found (segments, batches, bytes, a torn tail cut off).
    public var scan = JournalScan()
    /// Receipts queued and not acknowledged or dropped, in the order they were queued: the
    /// record's id and the state the receipt reports.
    public var pendingReceipts: [(id: MessageID, state: MessageState)] = []
    /// MO queued and not acknowledged or dropped, in order, with the account they are for.
    public var pendingMO: [(account: ShortBytes, message: MobileOriginatedMessage)] = []
    /// Each account's credits left and the configured number they count down from (nil:
    /// unlimited), as last written.
    public var credits: [ShortBytes: (configured: Int?, left: Int?)] = [:]
    /// The largest message id and MO id the journal has seen (the generators' floors).
    public var lastMessageID: UInt64 = 0
    public var lastMOID: UInt64 = 0
    /// Messages routed upstream that no carrier accepted yet, with their bodies (the
    /// forwarding's encoding), in the order they were accepted; only records not final.
    public var pendingOutbound: [(id: MessageID, body: [UInt8])] = []
    /// Messages a carrier upstream accepted and whose final state has not come: which carrier,
    /// under which id; only records not final.
    public var upstreamMappings: [(id: MessageID, carrier: String, upstreamID: String)] = []
    /// Records replayed (inserts and compaction copies) and records that no longer fit.
    public var recordsReplayed = 0
    public var recordsNotRestored = 0
}

/// A pending receipt: the message and the state it reports (…9995 has two, ACCEPTD and UNKNOWN).
private struct ReceiptKey: Hashable {
    var id: UInt64
    var state: UInt8
}

public enum StoreRecovery {
    /// Replays every batch of the journal in `directory` into `store` (empty, configured as
    /// it will run). Throws JournalCorruption / StoreLogDecodingError for a batch that does
    /// not check out (not the torn tail), JournalIOError when a file cannot be read.
    public static func recover(directory: String, into store: MemoryMessageStore) throws -> RecoveredStore {
        var out = RecoveredStore()
        // Pending work keyed so that a later "done" finds it; the value orders it.
        var receipts: [ReceiptKey: Int] = [:]
        var receiptList: [(id: MessageID, state: MessageState, live: Bool)] = []
        var mos: [UInt64: Int] = [:]
        var moList: [(account: ShortBytes, message: MobileOriginatedMessage, live: Bool)] = []
        func queueReceipt(_ id: MessageID, _ state: MessageState) {
            let key = ReceiptKey(id: id.rawValue, state: state.rawValue)
            guard receipts[key] == nil else { return }
            receipts[key] = receiptList.count
            receiptList.append((id, state, true))
        }
        var outbound: [UInt64: [UInt8]] = [:]
        var outboundOrder: [UInt64] = []
        var mappings: [UInt64: (carrier: String, upstreamID: String)] = [:]
        try JournalReader.prepare(directory: directory)
        out.scan = try JournalReader.replay(directory: directory) { sequence, bytes, range in
            var c = StoreLogCursor(bytes: bytes, range: range)
            while !c.isAtEnd {
                let at = c.offset
                let raw = try c.u8()
                guard let kind = StoreLogKind(rawValue: raw) else {
                    throw StoreLogDecodingError(offset: at, reason: "unknown entry kind \(raw) in batch \(sequence)")
                }
                switch kind {
                case .insert, .snapshot:
                    let record = try c.record()
                    if store.restore(record) { out.recordsReplayed += 1 } else { out.recordsNotRestored += 1 }
                    out.lastMessageID = max(out.lastMessageID, record.id.rawValue)
                case .status:
                    let id = MessageID(rawValue: try c.u64())
                    let state = try c.state()
                    let flags = try c.u8()
                    let final = try c.i64()
                    let errorCode = try c.u16()
                    store.restoreStatus(id, state: state, isForwarded: flags & 1 != 0, finalTime: final == .min ? nil : final,
                                        errorCode: errorCode)
                    if flags & 2 != 0 { queueReceipt(id, state) }
                case .receiptQueued:
                    let id = MessageID(rawValue: try c.u64())
                    queueReceipt(id, try c.state())
                case .receiptDone:
                    let id = MessageID(rawValue: try c.u64())
                    let state = try c.state()
                    if let i = receipts.removeValue(forKey: ReceiptKey(id: id.rawValue, state: state.rawValue)) { receiptList[i].live = false }
                case .mo:
                    let moID = try c.u64()
                    let account = try c.short()
                    let message = try c.moBody(id: moID)
                    out.lastMOID = max(out.lastMOID, moID)
                    guard mos[moID] == nil else { break }
                    mos[moID] = moList.count
                    moList.append((account, message, true))
                case .moDone:
                    if let i = mos.removeValue(forKey: try c.u64()) { moList[i].live = false }
                case .credits:
                    let account = try c.short()
                    let configured = try c.i64(), left = try c.i64()
                    out.credits[account] = (configured == .min ? nil : Int(configured), left == .min ? nil : Int(left))
                case .counters:
                    out.lastMessageID = max(out.lastMessageID, try c.u64())
                    out.lastMOID = max(out.lastMOID, try c.u64())
                case .outbound:
                    let id = try c.u64()
                    let body = try c.bytes(count: Int(try c.u32()))
                    if outbound.updateValue(body, forKey: id) == nil { outboundOrder.append(id) }
                case .handedUp:
                    let id = try c.u64()
                    let carrier = try c.text(), upstreamID = try c.text()
                    outbound[id] = nil
                    mappings[id] = (carrier, upstreamID)
                }
            }
        }
        func isLive(_ id: UInt64) -> Bool { store.record(MessageID(rawValue: id)).map { !$0.state.isFinal } ?? false }
        for id in outboundOrder where isLive(id) {
            if let body = outbound[id] { out.pendingOutbound.append((MessageID(rawValue: id), body)) }
        }
        for (id, m) in mappings.sorted(by: { $0.key < $1.key }) where isLive(id) {
            out.upstreamMappings.append((MessageID(rawValue: id), m.carrier, m.upstreamID))
        }
        out.pendingReceipts = receiptList.filter(\.live).map { ($0.id, $0.state) }
        out.pendingMO = moList.filter(\.live).map { ($0.account, $0.message) }
        return out
    }
}
