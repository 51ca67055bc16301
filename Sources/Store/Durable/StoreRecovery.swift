// StoreRecovery: start-up's replay of the journal into a MemoryMessageStore, and what else
// the journal knew: the deliveries still pending (receipts and MO not acknowledged), the
// accounts' credits and the id floors. The caller (the messaging service) queues the
// deliveries again, hands the records that are not final back to the carrier and opens the
// journal for new batches after the last one read.
// The replay itself is StoreReplay: fed batch by batch, from the segment files at start, or
// from memory (another node's batches shipped to Redis, issue 15's takeover), with the same
// code either way.

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
    /// With `tracksBatches`: the batch each pending receipt / pending MO was queued in
    /// (parallel to pendingReceipts / pendingMO), and the batch each record still live was
    /// first seen in. A node whose work another node took over up to batch N drops what came
    /// from batches up to N (issue 15).
    public var pendingReceiptBatches: [UInt64] = []
    public var pendingMOBatches: [UInt64] = []
    public var liveRecordBatches: [UInt64: UInt64] = [:]
}

/// A pending receipt: the message and the state it reports (…9995 has two, ACCEPTD and UNKNOWN).
private struct ReceiptKey: Hashable {
    var id: UInt64
    var state: UInt8
}

/// The replay of journal batches, one at a time, in log order, into a MemoryMessageStore
/// (empty, configured as it will run). Loop-thread or start-up code; one replay per store.
public struct StoreReplay {
    private let store: MemoryMessageStore
    private let tracksBatches: Bool
    private var out = RecoveredStore()
    // Pending work keyed so that a later "done" finds it; the value orders it.
    private var receipts: [ReceiptKey: Int] = [:]
    private var receiptList: [(id: MessageID, state: MessageState, live: Bool, batch: UInt64)] = []
    private var mos: [UInt64: Int] = [:]
    private var moList: [(account: ShortBytes, message: MobileOriginatedMessage, live: Bool, batch: UInt64)] = []
    private var outbound: [UInt64: [UInt8]] = [:]
    private var outboundOrder: [UInt64] = []
    private var mappings: [UInt64: (carrier: String, upstreamID: String)] = [:]
    private var firstSeen: [UInt64: UInt64] = [:]
    /// The last batch applied (0: none).
    public private(set) var lastSequence: UInt64 = 0
    public private(set) var batches = 0
    public private(set) var bytes = 0

    /// `tracksBatches`: note which batch pending work came from (RecoveredStore's *Batches).
    public init(into store: MemoryMessageStore, tracksBatches: Bool = false) {
        self.store = store
        self.tracksBatches = tracksBatches
    }

    private mutating func queueReceipt(_ id: MessageID, _ state: MessageState, _ sequence: UInt64) {
        let key = ReceiptKey(id: id.rawValue, state: state.rawValue)
        guard receipts[key] == nil else { return }
        receipts[key] = receiptList.count
        receiptList.append((id, state, true, sequence))
    }

    /// One batch held in memory as the journal framed it (a shipped copy): its length and
    /// CRC32C are checked first, and its sequence must follow the last one applied. Throws
    /// JournalCorruption (naming `source`) or StoreLogDecodingError; nothing of a batch that
    /// fails its check is applied.
    public mutating func apply(batch framed: [UInt8], source: String) throws {
        let (sequence, entries) = try JournalReader.check(batch: framed, source: source)
        guard sequence > lastSequence else {
            throw JournalCorruption(path: source, offset: 0, reason: "batch \(sequence) after batch \(lastSequence)")
        }
        try apply(sequence: sequence, bytes: framed, entries: entries)
    }

    /// The entries of batch `sequence`, at `entries` in `bytes` (checked by the caller).
    public mutating func apply(sequence: UInt64, bytes: [UInt8], entries range: Range<Int>) throws {
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
                if store.restore(record, journalBase: sequence) { out.recordsReplayed += 1 } else { out.recordsNotRestored += 1 }
                out.lastMessageID = max(out.lastMessageID, record.id.rawValue)
                if tracksBatches && firstSeen[record.id.rawValue] == nil { firstSeen[record.id.rawValue] = sequence }
            case .status:
                let id = MessageID(rawValue: try c.u64())
                let state = try c.state()
                let flags = try c.u8()
                let final = try c.i64()
                let errorCode = try c.u16()
                store.restoreStatus(id, state: state, isForwarded: flags & 1 != 0, finalTime: final == .min ? nil : final,
                                    errorCode: errorCode)
                if flags & 2 != 0 { queueReceipt(id, state, sequence) }
            case .receiptQueued:
                let id = MessageID(rawValue: try c.u64())
                queueReceipt(id, try c.state(), sequence)
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
                moList.append((account, message, true, sequence))
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
        lastSequence = sequence
        batches += 1
        self.bytes += range.upperBound - range.lowerBound + JournalFrame.headerBytes
    }

    /// What the batches applied add up to (the store holds the records).
    public func finish() -> RecoveredStore {
        var out = self.out
        func isLive(_ id: UInt64) -> Bool { store.record(MessageID(rawValue: id)).map { !$0.state.isFinal } ?? false }
        for id in outboundOrder where isLive(id) {
            if let body = outbound[id] { out.pendingOutbound.append((MessageID(rawValue: id), body)) }
        }
        for (id, m) in mappings.sorted(by: { $0.key < $1.key }) where isLive(id) {
            out.upstreamMappings.append((MessageID(rawValue: id), m.carrier, m.upstreamID))
        }
        let liveReceipts = receiptList.filter(\.live)
        out.pendingReceipts = liveReceipts.map { ($0.id, $0.state) }
        let liveMO = moList.filter(\.live)
        out.pendingMO = liveMO.map { ($0.account, $0.message) }
        if tracksBatches {
            out.pendingReceiptBatches = liveReceipts.map(\.batch)
            out.pendingMOBatches = liveMO.map(\.batch)
            for (id, batch) in firstSeen where isLive(id) { out.liveRecordBatches[id] = batch }
        }
        out.scan.batches = batches
        out.scan.bytes = bytes
        out.scan.lastSequence = lastSequence
        return out
    }
}

public enum StoreRecovery {
    /// Replays every batch of the journal in `directory` into `store` (empty, configured as
    /// it will run). Throws JournalCorruption / StoreLogDecodingError for a batch that does
    /// not check out (not the torn tail), JournalIOError when a file cannot be read.
    /// `batch`, when given, gets each intact batch's framed bytes as read (a node that ships
    /// its log keeps the newest to ship again); `tracksBatches` as StoreReplay's.
    public static func recover(directory: String, into store: MemoryMessageStore, tracksBatches: Bool = false,
                               batch: ((_ sequence: UInt64, _ framed: ArraySlice<UInt8>) -> Void)? = nil) throws -> RecoveredStore {
        var replay = StoreReplay(into: store, tracksBatches: tracksBatches)
        try JournalReader.prepare(directory: directory)
        let scan = try JournalReader.replay(directory: directory) { sequence, bytes, range in
            try replay.apply(sequence: sequence, bytes: bytes, entries: range)
            batch?(sequence, bytes[(range.lowerBound - JournalFrame.headerBytes)..<range.upperBound])
        }
        var out = replay.finish()
        out.scan = scan
        return out
    }

    /// Replays batches held in memory (framed as the journal writes them, in log order) into
    /// `store`: the same replay as recover(directory:), for copies shipped off the node. A
    /// batch whose length or CRC does not check out, or whose sequence does not follow the
    /// previous one, is refused (JournalCorruption naming `source`).
    public static func recover(batches: [[UInt8]], source: String, into store: MemoryMessageStore,
                               tracksBatches: Bool = false) throws -> RecoveredStore {
        var replay = StoreReplay(into: store, tracksBatches: tracksBatches)
        for b in batches { try replay.apply(batch: b, source: source) }
        return replay.finish()
    }
}
