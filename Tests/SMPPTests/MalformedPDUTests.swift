// The hostile-input table for the decoder (C-ERR-2, C-ERR-3): every malformed length or field
// maps to an exact field name and status, and no input traps or reads outside its buffer.
import SMPP
import Testing

/// Decodes `bytes` from an allocation of exactly `bytes.count` octets (so ASan sees any
/// over-read) and returns the error, or nil on success.
func decodeError(_ bytes: [UInt8]) -> DecodeError? {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
    defer { buffer.deallocate() }
    buffer.copyBytes(from: bytes)
    switch PDUDecoder.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count])) {
    case .success: return nil
    case .failure(let e): return e
    }
}

/// `bytes` with command_length rewritten to its actual count.
func fixLength(_ bytes: [UInt8]) -> [UInt8] {
    var b = bytes
    let n = UInt32(b.count)
    b[0] = UInt8(n >> 24); b[1] = UInt8(truncatingIfNeeded: n >> 16); b[2] = UInt8(truncatingIfNeeded: n >> 8); b[3] = UInt8(truncatingIfNeeded: n)
    return b
}

func header(_ id: UInt32, seq: UInt32 = 1) -> [UInt8] {
    hex("00000000") + [UInt8(id >> 24), UInt8(truncatingIfNeeded: id >> 16), UInt8(truncatingIfNeeded: id >> 8), UInt8(truncatingIfNeeded: id)]
        + hex("00000000") + [0, 0, 0, UInt8(seq)]
}

/// A submit_sm body with the given source_addr, destination_addr and time fields.
func submitBody(service: [UInt8] = c(""), source: [UInt8] = c("447700900123"), dest: [UInt8] = c("447700900456"),
                schedule: [UInt8] = c(""), validity: [UInt8] = c(""), sm: [UInt8] = hex("02") + a("hi"), tlvs: [UInt8] = []) -> [UInt8] {
    service + hex("01 01") + source + hex("01 01") + dest + hex("00 00 00") + schedule + validity + hex("01 00 00 00") + sm + tlvs
}

struct MalformedCase: CustomStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    let field: String
    let status: CommandStatus
    var description: String { name }
}

let malformedCases: [MalformedCase] = [
    MalformedCase(name: "empty input", bytes: [], field: "command_length", status: .ESME_RINVCMDLEN),
    MalformedCase(name: "short header", bytes: hex("00000010 00000015 0000"), field: "command_length", status: .ESME_RINVCMDLEN),
    MalformedCase(name: "command_length below 16", bytes: hex("0000000F 00000015 00000000 00000001"), field: "command_length", status: .ESME_RINVCMDLEN),
    MalformedCase(name: "command_length larger than the bytes", bytes: hex("00000011 00000015 00000000 00000001"), field: "command_length", status: .ESME_RINVCMDLEN),
    MalformedCase(name: "command_length smaller than the bytes", bytes: hex("00000010 00000015 00000000 00000001 00"), field: "command_length", status: .ESME_RINVCMDLEN),
    MalformedCase(name: "unknown command_id", bytes: fixLength(header(0x0000_0099)), field: "command_id", status: .ESME_RINVCMDID),
    MalformedCase(name: "enquire_link with a body", bytes: fixLength(header(0x15) + [0]), field: "command_length", status: .ESME_RINVCMDLEN),
    MalformedCase(name: "submit_sm body ends inside source_addr (missing NUL)",
                  bytes: fixLength(header(4) + c("") + hex("01 01") + a("4477")), field: "source_addr", status: .ESME_RINVCMDLEN),
    MalformedCase(name: "submit_sm body ends before esm_class",
                  bytes: fixLength(header(4) + c("") + hex("01 01") + c("1") + hex("01 01") + c("2")), field: "esm_class", status: .ESME_RINVCMDLEN),
    MalformedCase(name: "submit_sm source_addr of 21 characters", bytes: fixLength(header(4) + submitBody(source: c("123456789012345678901"))),
                  field: "source_addr", status: .ESME_RINVSRCADR),
    MalformedCase(name: "submit_sm destination_addr of 25 characters",
                  bytes: fixLength(header(4) + submitBody(dest: c("1234567890123456789012345"))), field: "destination_addr", status: .ESME_RINVDSTADR),
    MalformedCase(name: "submit_sm service_type of 6 characters", bytes: fixLength(header(4) + submitBody(service: c("ABCDEF"))),
                  field: "service_type", status: .ESME_RINVSERTYP),
    MalformedCase(name: "submit_sm schedule_delivery_time of 5 characters", bytes: fixLength(header(4) + submitBody(schedule: c("24010"))),
                  field: "schedule_delivery_time", status: .ESME_RINVSCHED),
    MalformedCase(name: "submit_sm validity_period of 17 characters", bytes: fixLength(header(4) + submitBody(validity: c("24010112000000000"))),
                  field: "validity_period", status: .ESME_RINVEXPIRY),
    MalformedCase(name: "submit_sm sm_length 255", bytes: fixLength(header(4) + submitBody(sm: hex("FF") + [UInt8](repeating: 0x41, count: 255))),
                  field: "sm_length", status: .ESME_RINVMSGLEN),
    MalformedCase(name: "submit_sm sm_length past the end", bytes: fixLength(header(4) + submitBody(sm: hex("0A") + a("short"))),
                  field: "short_message", status: .ESME_RINVMSGLEN),
    MalformedCase(name: "submit_sm TLV length past the end", bytes: fixLength(header(4) + submitBody(tlvs: hex("0424 0010") + a("abc"))),
                  field: "message_payload", status: .ESME_RINVPARLEN),
    MalformedCase(name: "submit_sm unknown TLV length past the end", bytes: fixLength(header(4) + submitBody(tlvs: hex("1401 0004 00"))),
                  field: "optional_parameters", status: .ESME_RINVPARLEN),
    MalformedCase(name: "submit_sm stray bytes after the TLVs", bytes: fixLength(header(4) + submitBody(tlvs: hex("020E 0001 02 02 0E"))),
                  field: "optional_parameters", status: .ESME_RINVOPTPARSTREAM),
    MalformedCase(name: "submit_sm sar_msg_ref_num of 1 octet", bytes: fixLength(header(4) + submitBody(tlvs: hex("020C 0001 01"))),
                  field: "sar_msg_ref_num", status: .ESME_RINVPARLEN),
    MalformedCase(name: "submit_sm receipted_message_id of 66 octets",
                  bytes: fixLength(header(4) + submitBody(tlvs: hex("001E 0042") + [UInt8](repeating: 0x31, count: 65) + [0])),
                  field: "receipted_message_id", status: .ESME_RINVPARLEN),
    MalformedCase(name: "bind system_id of 16 characters", bytes: fixLength(header(2) + c("ABCDEFGHIJKLMNOP") + c("pw") + c("") + hex("34 00 00") + c("")),
                  field: "system_id", status: .ESME_RINVSYSID),
    MalformedCase(name: "bind password of 9 characters", bytes: fixLength(header(9) + c("id") + c("123456789") + c("") + hex("34 00 00") + c("")),
                  field: "password", status: .ESME_RINVPASWD),
    MalformedCase(name: "bind system_type of 13 characters", bytes: fixLength(header(1) + c("id") + c("pw") + c("ABCDEFGHIJKLM") + hex("34 00 00") + c("")),
                  field: "system_type", status: .ESME_RINVSYSTYP),
    MalformedCase(name: "bind address_range of 41 characters",
                  bytes: fixLength(header(2) + c("id") + c("pw") + c("") + hex("34 00 00") + [UInt8](repeating: 0x39, count: 41) + [0]),
                  field: "address_range", status: .ESME_RINVPARLEN),
    MalformedCase(name: "bind missing its last NUL", bytes: fixLength(header(2) + c("id") + c("pw") + c("") + hex("34 00 00") + a("12")),
                  field: "address_range", status: .ESME_RINVCMDLEN),
    MalformedCase(name: "query_sm message_id of 65 characters", bytes: fixLength(header(3) + [UInt8](repeating: 0x61, count: 65) + [0] + hex("01 01") + c("1")),
                  field: "message_id", status: .ESME_RINVMSGID),
    MalformedCase(name: "cancel_sm truncated after message_id", bytes: fixLength(header(8) + c("") + c("m1") + hex("01")),
                  field: "source_addr_npi", status: .ESME_RINVCMDLEN),
    MalformedCase(name: "submit_multi with 0 destinations",
                  bytes: fixLength(header(0x21) + c("") + hex("01 01") + c("1") + hex("00") + hex("00 00 00") + c("") + c("") + hex("00 00 00 00 00")),
                  field: "number_of_dests", status: .ESME_RINVNUMDESTS),
    MalformedCase(name: "submit_multi dest_flag 3", bytes: fixLength(header(0x21) + c("") + hex("01 01") + c("1") + hex("01 03")),
                  field: "dest_flag", status: .ESME_RINVDESTFLAG),
    MalformedCase(name: "submit_multi dl_name of 21 characters",
                  bytes: fixLength(header(0x21) + c("") + hex("01 01") + c("1") + hex("01 02") + c("ABCDEFGHIJKLMNOPQRSTU")),
                  field: "dl_name", status: .ESME_RINVDLNAME),
    MalformedCase(name: "data_sm source_addr of 65 characters",
                  bytes: fixLength(header(0x103) + c("") + hex("01 01") + [UInt8](repeating: 0x31, count: 65) + [0]), field: "source_addr", status: .ESME_RINVSRCADR),
    MalformedCase(name: "submit_sm_resp message_id missing NUL", bytes: fixLength(header(0x8000_0004) + a("abc")),
                  field: "message_id", status: .ESME_RINVCMDLEN),
    MalformedCase(name: "query_sm_resp final_date of 3 characters", bytes: fixLength(header(0x8000_0003) + c("m") + c("240") + hex("02 00")),
                  field: "final_date", status: .ESME_RINVPARLEN),
]

@Suite struct MalformedPDUTests {
    @Test(arguments: malformedCases)
    func malformedInputYieldsItsFieldAndStatus_C_ERR_2(_ m: MalformedCase) {
        guard let e = decodeError(m.bytes) else { Issue.record("\(m.name): decoded"); return }
        #expect(e.fieldName == m.field, "\(m.name)")
        #expect(e.status == m.status, "\(m.name): \(e.status)")
    }

    @Test func unknownCommandIDIsAnsweredWithGenericNack_C_ERR_2() {
        let e = decodeError(fixLength(header(0x0000_0099, seq: 7)))
        #expect(e?.responseCommandID == .generic_nack)
        #expect(e?.response == ErrorResponse(commandID: .generic_nack, sequenceNumber: 7, status: .ESME_RINVCMDID))
    }

    @Test func malformedSubmitSMIsAnsweredWithSubmitSMResp_C_ERR_2() {
        let e = decodeError(fixLength(header(4, seq: 5) + submitBody(source: c("123456789012345678901"))))
        #expect(e?.responseCommandID == .submit_sm_resp && e?.header.sequenceNumber == 5)
        let malformedResponse = decodeError(fixLength(header(0x8000_0004) + a("abc")))
        #expect(malformedResponse?.responseCommandID == .generic_nack)
    }

    @Test func everyTruncationOfEveryVectorFailsCleanly_C_ERR_3() {
        for (name, bytes) in Vectors.all {
            for n in 0..<bytes.count {
                let prefix = Array(bytes[0..<n])
                // As sent: command_length no longer matches.
                #expect(decodeError(prefix)?.status == .ESME_RINVCMDLEN, "\(name) prefix \(n)")
                // command_length patched to the prefix: the body itself is truncated.
                if n >= 16 {
                    if let e = decodeError(fixLength(prefix)) {
                        #expect(e.status != .ESME_ROK && e.status.isKnown, "\(name) prefix \(n)")
                    }
                }
            }
        }
    }

    /// Every status a refusal may carry: the bounded fields' own (pdus.def) and the table in
    /// FieldTable.swift for everything else.
    static let documentedStatuses: Set<UInt32> = Set(Field.all.map(\.tooLongStatus.rawValue)).union([
        CommandStatus.ESME_RINVCMDLEN, .ESME_RINVMSGLEN, .ESME_RINVNUMDESTS, .ESME_RINVDESTFLAG,
        .ESME_RINVOPTPARSTREAM, .ESME_RINVPARLEN, .ESME_RINVCMDID,
    ].map(\.rawValue))

    /// Random bodies under every command_id: each one either decodes into a PDU whose views stay
    /// inside the input (re-encoding reads every field, and a view outside its PDU traps) and
    /// re-encodes to the same octets, or is refused with a documented status, naming a field,
    /// answered with the request's response (generic_nack when there is none). The input lives
    /// in an allocation of exactly its size, so the sanitizer runs also see any over-read.
    @Test func randomBodiesDecodeFaithfullyOrAreRefusedAsDocumented_C_ERR_3() {
        var rng = SplitMix64(seed: 0x5EED_0001)
        var decoded = 0, refused = 0
        for id in CommandID.allKnown + [CommandID(rawValue: 0x7777)] {
            for _ in 0..<300 {
                let length = Int.random(in: 0...80, using: &rng)
                var body = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                // Bias towards the structure the decoder expects: many NULs and small lengths.
                for i in body.indices where UInt8.random(in: 0...3, using: &rng) == 0 { body[i] = 0 }
                let bytes = fixLength(header(id.rawValue) + body)
                if let e = decodeError(bytes) {
                    refused += 1
                    #expect(Self.documentedStatuses.contains(e.status.rawValue), "\(e) for \(hexString(bytes))")
                    #expect(!e.fieldName.isEmpty, "\(e)")
                    #expect(e.header.commandID == id && e.header.sequenceNumber == 1, "\(e)")
                    #expect(e.responseCommandID == (id.hasResponse ? id.response : .generic_nack), "\(e)")
                    continue
                }
                decoded += 1
                let again: [UInt8]? = withDecoded(bytes) { result in
                    guard case .success(let pdu) = result else { return nil }
                    #expect(pdu.commandID == id && pdu.sequenceNumber == 1)
                    return encodeToArray(pdu.pdu)
                }
                #expect(again == bytes, "\(id.name) does not re-encode to its input: \(hexString(bytes))")
            }
        }
        // Both outcomes must be exercised, or the checks above prove nothing.
        #expect(decoded > 50 && refused > 5_000, "decoded \(decoded), refused \(refused)")
    }
}
