// libFuzzer entry for the SMPP codec (built only with SMPPD_FUZZ=1; see perf/fuzz/run.sh and
// notes/swift-c-interop.md §8). Each input is treated as a byte stream: frame, decode every PDU,
// re-encode what decoded, and check the codec's invariants. A violated invariant traps.

import SMPP

/// Largest PDU the fuzzer frames (C-ERR-2's 70 KiB message_payload limit).
let maxPDULength = 71_680

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    // Decode the whole input as one PDU too: arbitrary lengths, not only framed ones.
    checkDecode(input)
    var offset = 0
    while offset < size {
        let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
        switch PDUFramer.frame(rest, maxPDULength: maxPDULength) {
        case .needMoreBytes:
            return 0
        case .badCommandLength(let n):
            precondition(n < 16 || Int(n) > maxPDULength, "badCommandLength for a valid length")
            return 0
        case .pdu(let length):
            precondition(length >= 16 && length <= rest.count, "framed length outside the input")
            checkDecode(UnsafeRawBufferPointer(rebasing: rest[0..<length]))
            offset += length
        }
    }
    return 0
}

/// Output buffer for re-encoding; one per process (libFuzzer runs inputs one at a time).
nonisolated(unsafe) let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 80 * 1024, alignment: 16)

func checkDecode(_ pdu: UnsafeRawBufferPointer) {
    switch PDUDecoder.decode(pdu) {
    case .failure(let e):
        precondition(!e.status.isOK, "a decode error with ESME_ROK")
        precondition(e.status.isKnown, "a decode error with a status outside the spec table")
        precondition(e.responseCommandID.isResponse, "error answer is not a response")
    case .success(let decoded):
        precondition(pdu.count >= 16)
        precondition(decoded.commandID.rawValue == pdu.loadUnaligned(fromByteOffset: 4, as: UInt32.self).bigEndian)
        precondition(decoded.sequenceNumber == pdu.loadUnaligned(fromByteOffset: 12, as: UInt32.self).bigEndian)
        touchViews(decoded)
        reencode(decoded, original: pdu)
    }
}

/// Decode → encode must give back the input byte for byte, except for an error response whose
/// body was omitted (re-encoded with its empty fields). Decoding the re-encoding must succeed.
func reencode(_ decoded: DecodedPDU, original: UnsafeRawBufferPointer) {
    switch decoded.encode(into: output) {
    case .needs(let n):
        preconditionFailure("re-encoding needs \(n) octets, more than the 80 KiB buffer")
    case .invalidField(let f):
        preconditionFailure("a decoded PDU does not re-encode: \(f)")
    case .wrote(let n):
        let again = UnsafeRawBufferPointer(rebasing: output[0..<n])
        let omittedBody = original.count == 16 && !decoded.commandStatus.isOK && n > 16
        if !omittedBody {
            precondition(again.elementsEqual(original), "re-encoding differs from the input")
        }
        guard case .success(let second) = PDUDecoder.decode(again) else { preconditionFailure("re-encoding does not decode") }
        precondition(second.commandID == decoded.commandID && second.sequenceNumber == decoded.sequenceNumber)
    }
}

/// Reads every field of the views (each access is bounds-checked: an out-of-range slot traps).
func touchViews(_ decoded: DecodedPDU) {
    var sum = 0
    switch decoded {
    case .submitSM(let s):
        sum &+= s.serviceType.count &+ s.sourceAddr.count &+ s.destinationAddr.count &+ s.shortMessage.count
        sum &+= s.scheduleDeliveryTime.count &+ s.validityPeriod.count &+ Int(s.dataCoding) &+ Int(s.esmClass)
        for tlv in s.tlvs { sum &+= tlv.value.count }
        sum &+= s.tlvs.messagePayload?.count ?? 0
    case .deliverSM(let d):
        sum &+= d.shortMessage.count &+ (d.tlvs.receiptedMessageID?.count ?? 0) &+ Int(d.tlvs.messageState ?? 0)
    case .submitMulti(let m):
        for dest in m.destAddresses {
            if case .smeAddress(_, _, let a) = dest { sum &+= a.count }
        }
    case .submitMultiResp(let r):
        for u in r.unsuccessSMEs { sum &+= u.destinationAddr.count }
    default:
        break
    }
    if sum == -1 { print(sum) }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("FuzzDecode_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzTest(data, size) }
}
