// codec-bench: throughput and allocations of the SMPP codec's hot operations, one core.
// Prints one JSON object per line: op, pdus_per_s, ns_per_pdu, allocs_per_pdu (+ iterations).
// Usage: swift run -c release codec-bench [--quick | --scale N] [--only OP]
// Each op runs a warm-up pass and then 5 timed passes; the figures are the median pass.
// Allocations are counted over all timed passes (see MallocCounter.swift for how).
// Unsafe code (allowlisted, STYLE 9.3). Invariants: the input storage and the output buffer
// are allocated once and never freed, so every view into them is valid for the whole run; each
// stored input gets its own 16-byte-aligned region, never reused.
import SMPP

let quick = CommandLine.arguments.contains("--quick")
/// `--only OP`: run just that op (for profiling).
let only: String? = CommandLine.arguments.firstIndex(of: "--only").map { CommandLine.arguments[$0 + 1] }
/// `--scale N`: divide every iteration count by N (callgrind runs use 1000).
let scale = CommandLine.arguments.firstIndex(of: "--scale").map { Int(CommandLine.arguments[$0 + 1])! } ?? (quick ? 10 : 1)

/// Keeps a value alive for the optimizer: an opaque, unoptimised call.
@inline(never) @_optimize(none)
func blackHole(_ x: Int) {}

struct Measurement {
    let op: String
    let iterations: Int
    let medianNanoseconds: Double
    let allocations: Int

    var json: String {
        let ns = medianNanoseconds / Double(iterations)
        let rate = Double(iterations) / (medianNanoseconds / 1e9)
        let allocs = Double(allocations) / Double(iterations * 5)
        return "{\"op\":\"\(op)\",\"pdus_per_s\":\(Int(rate)),\"ns_per_pdu\":\(round2(ns)),\"allocs_per_pdu\":\(round2(allocs)),\"iterations\":\(iterations)}"
    }
}

func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }

/// Runs `pass` (which performs `iterations` operations and returns a checksum) once to warm up
/// and 5 more times timed.
func measure(_ op: String, iterations: Int, _ pass: () -> Int) -> Measurement? {
    if let only, only != op { return nil }
    blackHole(pass())
    var times: [Double] = []
    times.reserveCapacity(5)
    let clock = ContinuousClock()
    let before = allocationCount()
    for _ in 0..<5 {
        let start = clock.now
        let sum = pass()
        let elapsed = clock.now - start
        blackHole(sum)
        let (s, atto) = elapsed.components
        times.append(Double(s) * 1e9 + Double(atto) / 1e9)
    }
    let allocations = allocationCount() - before
    times.sort()
    return Measurement(op: op, iterations: iterations, medianNanoseconds: times[2], allocations: allocations)
}

// MARK: inputs, built once (not by the codec under test: assembled by hand as in the tests)

func cstr(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }
let text59 = "Hello from smppd! This is a typical 59 character message ok"
/// The typical 116-octet submit_sm: E.164 source and destination, 59 ASCII characters,
/// registered_delivery 1.
let submitSMBytes: [UInt8] = [0, 0, 0, 116, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1] + cstr("") + [1, 1] + cstr("447700900123")
    + [1, 1] + cstr("447700900456") + [0, 0, 0] + cstr("") + cstr("") + [1, 0, 0, 0, 59] + Array(text59.utf8)
precondition(submitSMBytes.count == 116)
let deliverSMRespBytes: [UInt8] = [0, 0, 0, 17, 0x80, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1, 0]
let enquireLinkBytes: [UInt8] = [0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1]

/// Long-lived input storage: views into it stay valid for the whole run.
let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
var storageUsed = 0
@MainActor func stored(_ bytes: [UInt8]) -> UnsafeMutableRawBufferPointer {
    let region = UnsafeMutableRawBufferPointer(rebasing: storage[storageUsed..<storageUsed + bytes.count])
    region.copyBytes(from: bytes)
    storageUsed += (bytes.count + 15) & ~15
    return region
}
@MainActor func view(_ s: String) -> BytesView { BytesView(unsafeBorrowing: UnsafeRawBufferPointer(stored(Array(s.utf8)))) }

let submitSM = stored(submitSMBytes)
let deliverSMResp = stored(deliverSMRespBytes)
let enquireLink = stored(enquireLinkBytes)
let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)

/// Stores `seq` as the sequence_number of the PDU at `pdu`, so no pass sees the same input twice.
@inline(__always)
func setSequence(_ pdu: UnsafeMutableRawBufferPointer, _ seq: UInt32) {
    pdu.storeBytes(of: seq.bigEndian, toByteOffset: 12, as: UInt32.self)
}

// MARK: ops

var results: [Measurement?] = []

let decodeN = 20_000_000 / scale
results.append(measure("decode_submit_sm", iterations: decodeN) {
    var sum = 0
    for i in 0..<decodeN {
        setSequence(submitSM, UInt32(truncatingIfNeeded: i))
        switch PDUDecoder.decode(UnsafeRawBufferPointer(submitSM)) {
        case .success(.submitSM(let s)):
            sum &+= s.shortMessage.count &+ Int(s.sequenceNumber) &+ s.destinationAddr.count &+ Int(s.registeredDelivery)
        default:
            sum &-= 1
        }
    }
    return sum
})

let messageID = view("0123456789abcdef0123")
let encodeN = 20_000_000 / scale
results.append(measure("encode_submit_sm_resp", iterations: encodeN) {
    var sum = 0
    for i in 0..<encodeN {
        let resp = SubmitSMResp(sequenceNumber: UInt32(truncatingIfNeeded: i), messageID: messageID)
        if case .wrote(let n) = resp.encode(into: output) { sum &+= n &+ Int(output[15]) }
    }
    return sum
})

let receiptText = view("id:0123456789abcdef0123 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:Hello from smppd! Th")
let receiptSource = view("447700900456")
let receiptDestination = view("447700900123")
let deliverN = 10_000_000 / scale
results.append(measure("encode_deliver_sm_receipt", iterations: deliverN) {
    var sum = 0
    for i in 0..<deliverN {
        let d = DeliverSM(sequenceNumber: UInt32(truncatingIfNeeded: i), sourceAddr: receiptSource, destinationAddr: receiptDestination,
                          esmClass: 0x04, shortMessage: receiptText, receiptedMessageID: messageID, messageState: 2,
                          networkErrorCode: NetworkErrorCode(networkType: 3, errorCode: 0))
        if case .wrote(let n) = d.encode(into: output) { sum &+= n &+ Int(output[15]) }
    }
    return sum
})

results.append(measure("decode_deliver_sm_resp", iterations: decodeN) {
    var sum = 0
    for i in 0..<decodeN {
        setSequence(deliverSMResp, UInt32(truncatingIfNeeded: i))
        switch PDUDecoder.decode(UnsafeRawBufferPointer(deliverSMResp)) {
        case .success(.deliverSMResp(let r)): sum &+= Int(r.sequenceNumber) &+ Int(r.commandStatus.rawValue)
        default: sum &-= 1
        }
    }
    return sum
})

results.append(measure("decode_enquire_link", iterations: decodeN) {
    var sum = 0
    for i in 0..<decodeN {
        setSequence(enquireLink, UInt32(truncatingIfNeeded: i))
        if case .success(.enquireLink(let e)) = PDUDecoder.decode(UnsafeRawBufferPointer(enquireLink)) { sum &+= Int(e.sequenceNumber) }
    }
    return sum
})

// A stream of 1000 back-to-back submit_sm, framed from start to end per pass.
let streamCount = 1000
let stream = stored(Array((0..<streamCount).map { _ in submitSMBytes }.joined()))
let framePasses = 20_000 / scale
results.append(measure("frame_stream", iterations: framePasses * streamCount) {
    var sum = 0
    for _ in 0..<framePasses {
        var offset = 0
        while case .pdu(let n) = PDUFramer.frame(UnsafeRawBufferPointer(rebasing: stream[offset...]), maxPDULength: 4096) {
            offset &+= n
            sum &+= 1
        }
    }
    return sum
})

// Framing and decoding the same stream: the loop thread's whole inbound codec path.
let frameDecodePasses = 10_000 / scale
results.append(measure("frame_and_decode_stream", iterations: frameDecodePasses * streamCount) {
    var sum = 0
    for _ in 0..<frameDecodePasses {
        var offset = 0
        while case .pdu(let n) = PDUFramer.frame(UnsafeRawBufferPointer(rebasing: stream[offset...]), maxPDULength: 4096) {
            if case .success(.submitSM(let s)) = PDUDecoder.decode(UnsafeRawBufferPointer(rebasing: stream[offset..<offset + n])) {
                sum &+= s.shortMessage.count
            }
            offset &+= n
        }
    }
    return sum
})

// Control: one deliberate allocation per iteration; must print allocs_per_pdu 1.0.
let controlN = 1_000_000 / scale
results.append(measure("control_alloc_one", iterations: controlN) {
    var sum = 0
    for i in 0..<controlN {
        let a = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 32 + (i & 7))
        sum &+= Int(a[i & 31])
    }
    return sum
})

for case let r? in results { print(r.json) }
