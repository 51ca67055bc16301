// JournalFrame: how one batch sits in a segment.
//
//   [u32 length][u32 crc32c][u64 sequence][entries ...]
//    ^ header   ^ of the `length` bytes after the header (sequence + entries)
//
// Little-endian. A batch is written whole or torn, never interleaved with another, and its
// CRC covers all of it, so a batch is the unit of atomicity: recovery keeps whole batches.
// A length of 0 where a header should be is the end of the segment's records (segments are
// pre-allocated, so the rest reads as zeros; the writer puts a zero prefix after every write,
// for segments written over).
// Unsafe code (allowlisted, STYLE 9.3). Invariants: the CRC is taken over `offset ..< offset +
// count` of an array whose count the caller checked covers that range, inside withUnsafeBytes;
// firstIntactFrame loads a header only where a whole header fits before the buffer's end.

import CIntrinsics

public enum JournalFrame {
    /// Bytes before the entries: length, crc, sequence.
    public static let headerBytes = 16
    /// The part of the header outside the CRC (length, crc).
    static let prefixBytes = 8
    /// A length beyond this is not a length: corruption (a batch is a loop turn's changes).
    public static let maximumBodyBytes = 1 << 30

    /// An empty batch buffer: the header's room reserved, entries to be appended after it.
    public static func emptyBatch(sequence: UInt64, reservingCapacity capacity: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(capacity)
        reset(&bytes, sequence: sequence)
        return bytes
    }

    /// Empties `bytes` (keeping its capacity) into a new batch with `sequence`.
    public static func reset(_ bytes: inout [UInt8], sequence: UInt64) {
        bytes.removeAll(keepingCapacity: true)
        for _ in 0..<prefixBytes { bytes.append(0) }
        var s = sequence.littleEndian
        withUnsafeBytes(of: &s) { bytes.append(contentsOf: $0) }
    }

    /// The sequence number written into a batch buffer.
    public static func sequence(of bytes: [UInt8]) -> UInt64 {
        var s: UInt64 = 0
        for i in 0..<8 { s |= UInt64(bytes[prefixBytes + i]) << (8 * UInt64(i)) }
        return s
    }


    /// CRC32C of a buffer.
    static func checksum(_ raw: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = raw.baseAddress else { return smppd_crc32c(0, nil, 0) }
        return smppd_crc32c(0, base, raw.count)
    }

    /// CRC32C of `count` bytes at `offset` of `bytes`.
    static func checksum(_ bytes: [UInt8], offset: Int, count: Int) -> UInt32 {
        bytes.withUnsafeBytes { raw in smppd_crc32c(0, raw.baseAddress! + offset, count) }
    }

    /// The offset of the first intact frame (a plausible length, its CRC matching) that starts
    /// after `offset` and carries a sequence number in `sequences`; nil if none. Every byte
    /// position is a candidate; the sequence number is compared first, so positions that only
    /// look like a length cost no CRC (tens of ms for a 64 MiB segment).
    static func firstIntactFrame(in bytes: [UInt8], after offset: Int, sequences: ClosedRange<UInt64>) -> Int? {
        bytes.withUnsafeBytes { raw -> Int? in
            guard raw.count >= headerBytes else { return nil }
            let lowest = sequences.lowerBound, span = sequences.upperBound - sequences.lowerBound
            var p = offset + 1
            while p <= raw.count - headerBytes {
                let sequence = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: p + prefixBytes, as: UInt64.self))
                if sequence &- lowest <= span {
                    let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: p, as: UInt32.self)))
                    if length >= 8, length <= maximumBodyBytes, p + prefixBytes + length <= raw.count,
                       smppd_crc32c(0, raw.baseAddress! + p + prefixBytes, length)
                        == UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: p + 4, as: UInt32.self)) {
                        return p
                    }
                }
                p += 1
            }
            return nil
        }
    }

    static func loadUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    static func loadUInt64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        UInt64(loadUInt32(bytes, at: offset)) | UInt64(loadUInt32(bytes, at: offset + 4)) << 32
    }
}
