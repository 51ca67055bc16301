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

/// The fast path against the decoder generated from pdus.def, on bodies built to sit on the
/// definition's edges (every bounded field at, just under and just over its limit, time fields
/// of every awkward length, sm_length against the bytes present, stray and overlong TLVs,
/// truncation anywhere) and on purely random ones: the decode entry point, which tries the
/// fast path first, must give exactly the generated decoder's answer (same slots and end, or
/// the same field and status), for submit_sm and deliver_sm alike.
@Suite struct FastPathDifferentialTests {
    /// The fast path alone, the production entry point (fast path, then the generated decoder
    /// when it refuses) and the generated decoder alone, on the same bytes.
    static func decoders(_ b: [UInt8]) -> (fast: [Int]?, production: Result<[Int], FieldError>, reference: Result<[Int], FieldError>) {
        b.withUnsafeBytes { raw in
            let header = PDUReader.uncheckedHeader(at: raw.baseAddress!)
            func run(_ decode: (inout PDUReader) throws(FieldError) -> RawPDU) -> Result<[Int], FieldError> {
                var r = PDUReader(base: raw.baseAddress!, count: raw.count, offset: 16)
                do throws(FieldError) {
                    let p = try decode(&r)
                    return .success([p.slot(0), p.slot(1), p.slot(2), p.slot(3), p.slot(4), r.offset])
                } catch {
                    return .failure(error)
                }
            }
            var r = PDUReader(base: raw.baseAddress!, count: raw.count, offset: 16)
            let fast = r.fastShortMessageNULs().map { [$0.0, $0.1, $0.2, $0.3, $0.4] }
            return (fast,
                    run { r throws(FieldError) in try RawPDU(decodingShortMessage: &r, header: header) },
                    run { r throws(FieldError) in try RawPDU(decodingShortMessageFieldByField: &r, header: header) })
        }
    }

    /// A C-Octet String of `count` characters and its NUL.
    static func field(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0x31...0x39, using: &rng) } + [0]
    }

    /// A length near `spec`'s limit (maxLength counts the NUL): empty, just under, at (most
    /// often, so that whole bodies still pass), one over, well over.
    static func nearLimit(_ spec: FieldSpec, _ rng: inout SplitMix64) -> Int {
        [0, 1, spec.maxLength - 2, spec.maxLength - 1, spec.maxLength - 1, spec.maxLength - 1, spec.maxLength,
         spec.maxLength + 3].randomElement(using: &rng)!
    }

    static func hostileBody(_ rng: inout SplitMix64) -> [UInt8] {
        var b = field(nearLimit(Field.serviceType, &rng), &rng) + [1, 1]
        b += field(nearLimit(Field.sourceAddr, &rng), &rng) + [1, 1]
        b += field(nearLimit(Field.destinationAddr, &rng), &rng) + [0, 0, 0]
        for _ in 0..<2 { b += field([0, 0, 16, 16, 1, 15, 17].randomElement(using: &rng)!, &rng) }
        b += [1, 0, 0, 0]
        let smLength = [0, 1, 59, 254, 255].randomElement(using: &rng)!
        let present = max(0, smLength + [-1, 0, 0, 0, 1].randomElement(using: &rng)!)
        b += [UInt8(smLength)] + (0..<present).map { _ in UInt8.random(in: 0...255, using: &rng) }
        switch Int.random(in: 0...4, using: &rng) {
        case 0: b += [0x02, 0x04, 0x00, 0x02, 0x00, 0x07]   // a valid user_message_reference
        case 1: b += (0..<Int.random(in: 1...3, using: &rng)).map { _ in 0 }   // stray TLV bytes
        case 2: b += [0x04, 0x24, 0x01, 0x00, 0x41]   // message_payload longer than what follows
        default: break
        }
        if Int.random(in: 0...3, using: &rng) == 0, !b.isEmpty {
            b.removeLast(Int.random(in: 1...min(b.count, 20), using: &rng))
        }
        return b
    }

    @Test(arguments: [CommandID.submit_sm, .deliver_sm])
    func fastPathAnswersExactlyAsTheGeneratedDecoder(_ id: CommandID) {
        var rng = SplitMix64(seed: 0xD1FF + UInt64(id.rawValue))
        var accepted = 0, refused = 0
        for i in 0..<30_000 {
            let body: [UInt8]
            if i % 3 == 0 {
                body = (0..<Int.random(in: 0...120, using: &rng)).map { _ in
                    UInt8.random(in: 0...3, using: &rng) == 0 ? 0 : UInt8.random(in: 0...255, using: &rng)
                }
            } else {
                body = Self.hostileBody(&rng)
            }
            let bytes = fixLength(header(id.rawValue) + body)
            let (fast, production, reference) = Self.decoders(bytes)
            switch (production, reference) {
            case let (.success(p), .success(r)):
                #expect(p == r, "slots differ for \(hexString(bytes))")
                accepted += 1
            case let (.failure(p), .failure(r)):
                #expect(p == r, "\(p.field): \(p.status.name) vs \(r.field): \(r.status.name) for \(hexString(bytes))")
                refused += 1
            default:
                Issue.record("one decoder accepts what the other refuses: \(production) vs \(reference) for \(hexString(bytes))")
            }
            // The fast path alone: it takes exactly the mandatory parts the definition takes (the
            // TLVs after them are checked by the same code on both paths).
            if let fast {
                if case .success(let r) = reference { #expect(Array(r.prefix(5)) == fast, "\(hexString(bytes))") }
            } else if case .success = reference {
                Issue.record("the fast path refuses what the definition accepts: \(hexString(bytes))")
            }
        }
        #expect(accepted > 400 && refused > 10_000, "accepted \(accepted), refused \(refused)")
    }
}
