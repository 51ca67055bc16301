// Templates: every submit_sm smppbench sends, encoded once at start-up with the SMPP encoders;
// a session copies one into its output ring and patches the sequence number (octets 12..15).
// Unsafe code (allowlisted, STYLE 9.3): BytesView(unsafeBorrowing:) over local arrays for
// the duration of one encode, and the copy into the ring memory the Connection lends.

import SMPP

struct SubmitTemplates {
    let ascii: [UInt8]
    let ucs2: [UInt8]
    let longPart1: [UInt8]
    let longPart2: [UInt8]
    let deliverSMRespLength = 17
    let maxLength: Int

    init(source: String, destination: String, registeredDelivery: UInt8) throws {
        let asciiText = Array("smppbench load test message: hello from the benchmark".utf8)
        var ucs2Text: [UInt8] = []
        for unit in "smppbench Привет мир 你好 benchmark".utf16 { ucs2Text += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
        // A 2-part concatenated message: 8-bit-reference UDH (05 00 03 ref total seq) + 153 chars.
        let body = Array(String(repeating: "0123456789", count: 16).utf8.prefix(153))
        let part1 = [0x05, 0x00, 0x03, 0x42, 0x02, 0x01] + body
        let part2 = [0x05, 0x00, 0x03, 0x42, 0x02, 0x02] + body
        ascii = try Self.encode(source, destination, registeredDelivery, 0x00, 0x00, asciiText)
        ucs2 = try Self.encode(source, destination, registeredDelivery, 0x08, 0x00, ucs2Text)
        longPart1 = try Self.encode(source, destination, registeredDelivery, 0x00, 0x40, part1)
        longPart2 = try Self.encode(source, destination, registeredDelivery, 0x00, 0x40, part2)
        maxLength = max(ascii.count, ucs2.count, longPart1.count, longPart2.count)
    }

    struct EncodeFailure: Error, CustomStringConvertible {
        let description: String
    }

    private static func encode(_ source: String, _ destination: String, _ registeredDelivery: UInt8,
                               _ dataCoding: UInt8, _ esmClass: UInt8, _ text: [UInt8]) throws -> [UInt8] {
        let src = Array(source.utf8)
        let dst = Array(destination.utf8)
        var out = [UInt8](repeating: 0, count: 1024)
        let result: EncodeResult = src.withUnsafeBytes { s in
            dst.withUnsafeBytes { d in
                text.withUnsafeBytes { t in
                    var pdu = SubmitSM(sequenceNumber: 0, sourceAddr: BytesView(unsafeBorrowing: s),
                                       destinationAddr: BytesView(unsafeBorrowing: d),
                                       registeredDelivery: registeredDelivery, dataCoding: dataCoding,
                                       shortMessage: BytesView(unsafeBorrowing: t))
                    pdu.esmClass = esmClass
                    return out.withUnsafeMutableBytes { pdu.encode(into: $0) }
                }
            }
        }
        guard case let .wrote(n) = result else { throw EncodeFailure(description: "cannot encode submit_sm: \(result)") }
        return Array(out.prefix(n))
    }

    /// Copies `template` to the start of `buffer` with `sequence` patched in; returns its length.
    @inline(__always)
    static func write(_ template: [UInt8], sequence: UInt32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        template.withUnsafeBytes { buffer.copyMemory(from: $0) }
        buffer.storeBytes(of: sequence.bigEndian, toByteOffset: 12, as: UInt32.self)
        return template.count
    }
}
