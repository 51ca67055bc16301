// The submit_sm / deliver_sm fast path against the field-by-field reference decoder, on
// thousands of mutated PDUs: both must accept the same inputs and record the same offsets.
@testable import SMPP
import Testing

@Suite struct FastPathTests {
    @Test func fastPathAgreesWithTheFieldByFieldDecoder() {
        var rng = SplitMix64(seed: 0xFA57)
        let seeds = [Vectors.submitSM, Vectors.submitSMWithTLVs, Vectors.deliverSMReceipt]
        var accepted = 0, rejected = 0
        for _ in 0..<20_000 {
            var b = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                let i = Int.random(in: 16..<b.count, using: &rng)
                switch Int.random(in: 0...3, using: &rng) {
                case 0: b[i] = 0
                case 1: b[i] = UInt8.random(in: 0...255, using: &rng)
                case 2: b.remove(at: i)
                default: b.insert(UInt8.random(in: 0...3, using: &rng) == 0 ? 0 : 0x41, at: i)
                }
            }
            b = fixLength(b)
            b.withUnsafeBytes { raw in
                let header = PDUReader.uncheckedHeader(at: raw.baseAddress!)
                var fastReader = PDUReader(base: raw.baseAddress!, count: raw.count, offset: 16)
                var slowReader = fastReader
                let fast = fastReader.fastShortMessageNULs()
                let slow: RawPDU?
                do { slow = try RawPDU(decodingShortMessageFieldByField: &slowReader, header: header) } catch { slow = nil }
                if let (s0, s1, s2, s3, s4) = fast {
                    // Fast accepted the mandatory part: the reference must reach the same offsets
                    // (it may still reject the TLVs, which both paths validate the same way).
                    var check = PDUReader(base: raw.baseAddress!, count: raw.count, offset: 16)
                    let reference = try? RawPDU(decodingShortMessageFieldByField: &check, header: header)
                    if let r = reference ?? slow {
                        #expect([r.slot(0), r.slot(1), r.slot(2), r.slot(3), r.slot(4)] == [s0, s1, s2, s3, s4])
                    } else {
                        // Reference rejected: only the TLV region may be at fault.
                        var tlvReader = fastReader
                        #expect(throws: FieldError.self) { _ = try tlvReader.tlvs() }
                    }
                    accepted += 1
                } else {
                    #expect(slow == nil, "fast path rejected what the reference accepts: \(hexString(b))")
                    rejected += 1
                }
            }
        }
        #expect(accepted > 1000 && rejected > 1000)
    }
}
