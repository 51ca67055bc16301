// The journal body of an `outbound` entry (Store/Durable/StoreLogEntry.swift): an accepted
// message routed upstream, as the carrier will send it, so that after a kill -9 a message no
// carrier has accepted yet is sent after the restart. Little-endian, fixed order:
//   text systemID, u8 sourceTon, u8 sourceNpi, text source,
//   u8 destinationTon, u8 destinationNpi, text destination, u8 esmClass, u8 protocolID,
//   u8 priority, u8 dataCoding, i64 submitTimeMs, i64 validityDeadlineMs,
//   u32 n + n bytes shortMessage, u8 hasPayload [+ u32 n + n bytes], u8 hasSar [+ u16 u8 u8]
// where `text` is [u8 length][bytes] (at most 255).
import Journal
import Upstream

enum OutboundMessageCodec {
    static func length(of m: OutboundMessage) -> Int {
        func text(_ s: String) -> Int { 1 + min(s.utf8.count, 255) }
        return text(m.systemID) + 2 + text(m.source) + 2 + text(m.destination) + 4 + 16
            + 4 + m.shortMessage.count + 1 + (m.messagePayload.map { 4 + $0.count } ?? 0) + 1 + (m.sar == nil ? 0 : 4)
    }

    static func encode(_ m: OutboundMessage, into b: JournalBatch) {
        func text(_ s: String) {
            let bytes = Array(s.utf8.prefix(255))
            b.append(UInt8(bytes.count))
            b.append(contentsOf: bytes)
        }
        text(m.systemID)
        b.append(m.sourceTon); b.append(m.sourceNpi); text(m.source)
        b.append(m.destinationTon); b.append(m.destinationNpi); text(m.destination)
        b.append(m.esmClass); b.append(m.protocolID); b.append(m.priority); b.append(m.dataCoding)
        b.append(littleEndian: m.submitTimeMs)
        b.append(littleEndian: m.validityDeadlineMs)
        b.append(littleEndian: UInt32(m.shortMessage.count))
        b.append(contentsOf: m.shortMessage)
        if let p = m.messagePayload {
            b.append(1)
            b.append(littleEndian: UInt32(p.count))
            b.append(contentsOf: p)
        } else {
            b.append(0)
        }
        if let sar = m.sar {
            b.append(1)
            b.append(littleEndian: sar.reference)
            b.append(sar.total)
            b.append(sar.sequence)
        } else {
            b.append(0)
        }
    }

    /// nil when the bytes are not a body this codec wrote.
    static func decode(id: UInt64, _ bytes: [UInt8]) -> OutboundMessage? {
        var at = 0
        func u8() -> UInt8? {
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return bytes[at]
        }
        func le<T: FixedWidthInteger>(_: T.Type) -> T? {
            let n = MemoryLayout<T>.size
            guard bytes.count - at >= n else { return nil }
            var v: T = 0
            for i in 0..<n { v |= T(truncatingIfNeeded: bytes[at + i]) << (8 * i) }
            at += n
            return v
        }
        func raw(_ n: Int) -> [UInt8]? {
            guard n >= 0, bytes.count - at >= n else { return nil }
            defer { at += n }
            return Array(bytes[at..<(at + n)])
        }
        func text() -> String? {
            guard let n = u8(), let b = raw(Int(n)) else { return nil }
            return String(decoding: b, as: UTF8.self)
        }
        guard let systemID = text(),
              let sTon = u8(), let sNpi = u8(), let source = text(),
              let dTon = u8(), let dNpi = u8(), let destination = text(),
              let esm = u8(), let pid = u8(), let priority = u8(), let coding = u8(),
              let submit = le(Int64.self), let validity = le(Int64.self),
              let smLength = le(UInt32.self), let sm = raw(Int(smLength)),
              let hasPayload = u8() else { return nil }
        var payload: [UInt8]? = nil
        if hasPayload == 1 {
            guard let n = le(UInt32.self), let p = raw(Int(n)) else { return nil }
            payload = p
        }
        guard let hasSar = u8() else { return nil }
        var sar: SARFields? = nil
        if hasSar == 1 {
            guard let ref = le(UInt16.self), let total = u8(), let seq = u8() else { return nil }
            sar = SARFields(reference: ref, total: total, sequence: seq)
        }
        guard at == bytes.count else { return nil }
        return OutboundMessage(id: id, systemID: systemID, sourceTon: sTon, sourceNpi: sNpi, source: source,
                               destinationTon: dTon, destinationNpi: dNpi, destination: destination, esmClass: esm,
                               protocolID: pid, priority: priority, dataCoding: coding, shortMessage: sm,
                               messagePayload: payload, sar: sar, submitTimeMs: submit, validityDeadlineMs: validity)
    }
}
