// StoreLogEntry: the changes the durable store writes to its journal, and their encoding.
// Each loop turn's changes form one journal batch (Journal/JournalFrame.swift); inside it,
// entries follow each other as [u8 kind][fields], little-endian, fixed widths (a ShortBytes
// is its 21 packed bytes), so encoding is a few stores per field and decoding needs no
// lengths but the MO text's. Replaying the entries of every batch in order rebuilds the
// store (StoreRecovery.swift).
// Unsafe code (allowlisted, STYLE 9.3). Invariant: a load reads at an offset `take(_:)` has
// just checked lies, with its width, inside the entry's bytes.
//
// What each entry promises on replay:
//   insert        a record accepted by submit_sm/data_sm/submit_multi
//   status        a record's new state (forwarded flag, final time, error code), and whether
//                 a receipt for that state was queued
//   receiptDone   the receipt for (id, state) was acknowledged or dropped: not sent again
//   mo / moDone   an MO queued for an account / acknowledged or dropped
//   credits       an account's credits left (with the configured number they count down from)
//   counters      the id generators' floors (the largest message id and MO id issued)
//   snapshot      compaction's copy of a live record in its current state (an upsert)
//   receiptQueued compaction's copy of a receipt still pending
//   outbound      a message routed to a carrier upstream: its body as it will be sent (the
//                 forwarding's encoding, opaque here), until a carrier answers for it
//   handedUp      the carrier named accepted the message under the upstream id given: its
//                 receipts will name that id

import Journal
import SMPP

public enum StoreLogKind: UInt8, Sendable {
    case insert = 1, status, receiptDone, mo, moDone, credits, counters, snapshot, receiptQueued, outbound, handedUp
}

/// A malformed entry inside a batch whose CRC checked out: written by another version, or
/// a bug. Recovery stops on it, as on any corruption.
public struct StoreLogDecodingError: Error, CustomStringConvertible, Sendable {
    public let offset: Int
    public let reason: String
    public var description: String { "entry at batch offset \(offset): \(reason)" }
}

/// Appends entries to a journal batch (its header already in place).
struct StoreLogEncoder {
    @inline(__always) static func u8(_ b: JournalBatch, _ v: UInt8) { b.append(v) }
    @inline(__always) static func u16(_ b: JournalBatch, _ v: UInt16) { b.append(littleEndian: v) }
    @inline(__always) static func u32(_ b: JournalBatch, _ v: UInt32) { b.append(littleEndian: v) }
    @inline(__always) static func u64(_ b: JournalBatch, _ v: UInt64) { b.append(littleEndian: v) }
    @inline(__always) static func i64(_ b: JournalBatch, _ v: Int64) { b.append(littleEndian: v) }
    @inline(__always) static func short(_ b: JournalBatch, _ v: ShortBytes) {
        let w = v.packedWords
        b.append(UInt8(v.count))
        b.append(littleEndian: w.low)
        b.append(littleEndian: w.middle)
        b.append(littleEndian: w.high)
    }
    @inline(__always) static func address(_ b: JournalBatch, _ a: StoredAddress) {
        b.append(a.ton)
        b.append(a.npi)
        short(b, a.digits)
    }

    /// A string of at most 65,535 bytes (a carrier's name, a service's id; longer ones are
    /// cut): [u16 length][bytes].
    static func text(_ b: JournalBatch, _ v: String) {
        let bytes = Array(v.utf8.prefix(Int(UInt16.max)))
        b.append(littleEndian: UInt16(bytes.count))
        b.append(contentsOf: bytes)
    }

    /// An MO's fields after its id (and, in the journal, its account): addresses, coding,
    /// esm_class, [u32 length][text].
    static func moBody(_ b: JournalBatch, _ m: MobileOriginatedMessage) {
        address(b, m.source)
        address(b, m.destination)
        u8(b, m.dataCoding.rawValue)
        u8(b, m.esmClass)
        u32(b, UInt32(m.shortMessage.count))
        b.append(contentsOf: m.shortMessage)
    }

    static func record(_ b: JournalBatch, _ r: MessageRecord) {
        u64(b, r.id.rawValue)
        i64(b, r.submitTime)
        i64(b, r.validityDeadline ?? .min)
        i64(b, r.forwardDeadline)
        i64(b, r.finalTime ?? .min)
        short(b, r.systemID)
        u8(b, r.registeredDelivery)
        u8(b, r.state.rawValue)
        u8(b, r.isForwarded ? 1 : 0)
        address(b, r.source)
        u8(b, r.dataCoding.rawValue)
        address(b, r.destination)
        short(b, r.receiptText)
        u16(b, r.errorCode)
        if let c = r.concatenation {
            switch c.reference {
            case .eightBit(let ref): u8(b, 1); u16(b, UInt16(ref))
            case .sixteenBit(let ref): u8(b, 2); u16(b, ref)
            }
            u8(b, c.total)
            u8(b, c.sequence)
        } else {
            u8(b, 0)
        }
    }
}

/// Reads entries back from a batch: bounds-checked, throwing on anything short or unknown.
struct StoreLogCursor {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        offset = range.lowerBound
        end = range.upperBound
    }

    var isAtEnd: Bool { offset >= end }

    func failure(_ reason: String) -> StoreLogDecodingError { StoreLogDecodingError(offset: offset, reason: reason) }

    private mutating func take(_ n: Int) throws(StoreLogDecodingError) -> Int {
        guard end - offset >= n else { throw failure("entry runs past its batch") }
        defer { offset += n }
        return offset
    }

    mutating func u8() throws(StoreLogDecodingError) -> UInt8 { bytes[try take(1)] }
    mutating func u16() throws(StoreLogDecodingError) -> UInt16 {
        let at = try take(2)
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }
    mutating func u32() throws(StoreLogDecodingError) -> UInt32 {
        let at = try take(4)
        return bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    }
    mutating func u64() throws(StoreLogDecodingError) -> UInt64 {
        let at = try take(8)
        return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
    }
    mutating func i64() throws(StoreLogDecodingError) -> Int64 { Int64(bitPattern: try u64()) }
    mutating func short() throws(StoreLogDecodingError) -> ShortBytes {
        let count = Int(try u8())
        let low = try u64(), middle = try u64(), high = try u32()
        guard let value = ShortBytes(packed: (low, middle, UInt64(high)), count: count) else {
            throw failure("short field of \(count) bytes")
        }
        return value
    }
    mutating func address() throws(StoreLogDecodingError) -> StoredAddress {
        let ton = try u8(), npi = try u8()
        return StoredAddress(try short(), ton: ton, npi: npi)
    }
    mutating func state() throws(StoreLogDecodingError) -> MessageState {
        let raw = try u8()
        guard let s = MessageState(rawValue: raw) else { throw failure("message state \(raw)") }
        return s
    }
    mutating func bytes(count: Int) throws(StoreLogDecodingError) -> [UInt8] {
        let at = try take(count)
        return Array(bytes[at..<(at + count)])
    }

    mutating func text() throws(StoreLogDecodingError) -> String {
        let count = Int(try u16())
        return String(decoding: try bytes(count: count), as: UTF8.self)
    }

    /// What StoreLogEncoder.moBody wrote, as the MO numbered `id`.
    mutating func moBody(id: UInt64) throws(StoreLogDecodingError) -> MobileOriginatedMessage {
        let source = try address(), destination = try address()
        let coding = DataCoding(rawValue: try u8())
        let esm = try u8()
        let count = Int(try u32())
        return MobileOriginatedMessage(source: source, destination: destination, dataCoding: coding,
                                       shortMessage: try bytes(count: count), esmClass: esm, id: id)
    }

    mutating func record() throws(StoreLogDecodingError) -> MessageRecord {
        let id = MessageID(rawValue: try u64())
        let submitTime = try i64(), validity = try i64(), forward = try i64(), final = try i64()
        let systemID = try short()
        let registered = try u8()
        let state = try state()
        let forwarded = try u8() != 0
        let source = try address()
        let coding = DataCoding(rawValue: try u8())
        let destination = try address()
        let text = try short()
        let errorCode = try u16()
        var concatenation: ConcatenationInfo? = nil
        let width = try u8()
        if width != 0 {
            let ref = try u16(), total = try u8(), sequence = try u8()
            let reference: ConcatenationReference = width == 1 ? .eightBit(UInt8(truncatingIfNeeded: ref)) : .sixteenBit(ref)
            guard case .success(let c) = ConcatenationInfo.validated(reference: reference, total: total, sequence: sequence) else {
                throw failure("concatenation \(sequence)/\(total)")
            }
            concatenation = c
        }
        var r = MessageRecord(id: id, systemID: systemID, source: source, destination: destination, dataCoding: coding,
                              registeredDelivery: registered, receiptText: text, submitTime: submitTime,
                              validityDeadline: validity == .min ? nil : validity, forwardDeadline: forward,
                              concatenation: concatenation)
        r.state = state
        r.isForwarded = forwarded
        r.finalTime = final == .min ? nil : final
        r.errorCode = errorCode
        return r
    }
}
