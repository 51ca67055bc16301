// JournalReader: recovery's one pass over the segments, oldest first, handing each intact
// batch to the caller in order. Batches are numbered consecutively across the whole log.
// A segment's batches end at a zero length, or at a batch older than the segment's first: a
// recycled segment (JournalWriter) still holds what it held before past its new batches.
// A torn tail — a bad batch in the newest segment with no newer intact batch anywhere after
// it, as a crash in the middle of a write leaves — is cut off and reported.
// Anything else that does not check out (a bad CRC with newer batches after it, a sequence
// number going backwards or skipping) is corruption: recovery stops and names the file and
// offset, because skipping it would silently lose what was acknowledged after it.

/// A batch that does not check out and is not the torn tail.
public struct JournalCorruption: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let offset: Int
    public let reason: String
    public var description: String { "\(path) at offset \(offset): \(reason)" }
    public init(path: String, offset: Int, reason: String) {
        self.path = path
        self.offset = offset
        self.reason = reason
    }
}

/// What recovery found in the journal.
public struct JournalScan: Sendable {
    public var segments = 0
    public var batches = 0
    /// Bytes of intact batches.
    public var bytes = 0
    /// The newest intact batch's sequence number (0: none).
    public var lastSequence: UInt64 = 0
    /// Where a torn tail was cut off, if one was.
    public var truncatedTail: (path: String, offset: Int, bytes: Int)?
    public init() {}
}

public enum JournalReader {
    /// Hands each intact batch to `batch` in log order: its sequence number, and the buffer
    /// holding it with the range of its entries. Cuts a torn tail off the newest segment.
    /// Makes the journal's directory if it does not exist yet (a first start).
    public static func prepare(directory: String) throws(JournalIOError) {
        try SegmentFiles.makeDirectory(directory)
    }

    public static func replay(directory: String,
                              _ batch: (_ sequence: UInt64, _ bytes: [UInt8], _ entries: Range<Int>) throws -> Void) throws -> JournalScan {
        var scan = JournalScan()
        let segments = try SegmentFiles.list(directory)
        for (index, segment) in segments.enumerated() {
            let bytes = try SegmentFiles.readAll(segment.path)
            scan.segments += 1
            // What counts as a newer batch past the end of this segment's batches: one after
            // the last read, or, before any, one of this segment's own.
            var newest: UInt64 { max(scan.lastSequence, segment.first &- 1) }
            var offset = 0
            while offset < bytes.count {
                let length = offset + JournalFrame.prefixBytes <= bytes.count ? Int(JournalFrame.loadUInt32(bytes, at: offset)) : -1
                let problem: String
                if length < 0 {
                    if allZero(bytes, from: offset) { break }
                    problem = "a few bytes too short to be a batch"
                } else if length == 0 {
                    // The end of this segment's batches: zeros follow, or a recycled file's old
                    // content. A newer batch after it would mean a hole in the log.
                    if allZero(bytes, from: offset) || !hasNewerIntactBatch(bytes, after: offset, than: newest) { break }
                    problem = "zero length followed by newer batches"
                } else if length < 8 || length > JournalFrame.maximumBodyBytes {
                    problem = "impossible batch length \(length)"
                } else if offset + JournalFrame.prefixBytes + length > bytes.count {
                    problem = "batch of \(length) bytes runs past the end of the file"
                } else if JournalFrame.checksum(bytes, offset: offset + JournalFrame.prefixBytes, count: length)
                            != JournalFrame.loadUInt32(bytes, at: offset + 4) {
                    problem = "CRC32C mismatch"
                } else {
                    let sequence = JournalFrame.loadUInt64(bytes, at: offset + JournalFrame.prefixBytes)
                    if sequence < segment.first {
                        // Written before the file was recycled as this segment: the end of its
                        // batches (a power loss can leave the zero trailer unwritten).
                        if !hasNewerIntactBatch(bytes, after: offset, than: newest) { break }
                        throw JournalCorruption(path: segment.path, offset: offset,
                                                reason: "batch \(sequence) older than the segment, followed by newer batches")
                    }
                    guard scan.lastSequence == 0 || sequence == scan.lastSequence + 1 else {
                        throw JournalCorruption(path: segment.path, offset: offset,
                                                reason: "batch \(sequence) after batch \(scan.lastSequence)")
                    }
                    let end = offset + JournalFrame.prefixBytes + length
                    try batch(sequence, bytes, (offset + JournalFrame.headerBytes)..<end)
                    scan.batches += 1
                    scan.bytes += end - offset
                    scan.lastSequence = sequence
                    offset = end
                    continue
                }
                // A bad batch: the torn tail if it is in the newest segment and no intact batch
                // follows it (a damaged length must not hide the batches after it).
                if index == segments.count - 1 && !hasNewerIntactBatch(bytes, after: offset, than: newest) {
                    try SegmentFiles.truncate(segment.path, at: offset)
                    scan.truncatedTail = (segment.path, offset, bytes.count - offset)
                    break
                }
                throw JournalCorruption(path: segment.path, offset: offset, reason: problem)
            }
        }
        return scan
    }

    /// One batch held in memory, as JournalBatch wrote it (header included, nothing after
    /// it): a copy shipped off the node (issue 15). Checks the length and the CRC32C the way
    /// replay does; returns the batch's sequence number and the range of its entries. `source`
    /// names where the bytes came from in the error.
    public static func check(batch bytes: [UInt8], source: String) throws(JournalCorruption) -> (sequence: UInt64, entries: Range<Int>) {
        guard bytes.count >= JournalFrame.headerBytes else {
            throw JournalCorruption(path: source, offset: 0, reason: "\(bytes.count) bytes: too short to be a batch")
        }
        let length = Int(JournalFrame.loadUInt32(bytes, at: 0))
        guard length >= 8, length <= JournalFrame.maximumBodyBytes, JournalFrame.prefixBytes + length == bytes.count else {
            throw JournalCorruption(path: source, offset: 0, reason: "batch length \(length) in \(bytes.count) bytes")
        }
        guard JournalFrame.checksum(bytes, offset: JournalFrame.prefixBytes, count: length) == JournalFrame.loadUInt32(bytes, at: 4) else {
            throw JournalCorruption(path: source, offset: 0, reason: "CRC32C mismatch")
        }
        return (JournalFrame.loadUInt64(bytes, at: JournalFrame.prefixBytes), JournalFrame.headerBytes..<bytes.count)
    }

    /// True when an intact batch among the next `holeBatches` after batch `last` (a plausible
    /// length, its CRC matching) starts anywhere after `offset`: acknowledged batches past a
    /// damaged or zeroed stretch. A scan over the rest of the segment, at the end of its
    /// batches; the sequence number is looked at first and must be one of those few, so a
    /// recycled file's old content (and bytes that merely look like a header) cost no CRC.
    private static func hasNewerIntactBatch(_ bytes: [UInt8], after offset: Int, than last: UInt64) -> Bool {
        guard last < UInt64.max - holeBatches else { return false }
        return JournalFrame.firstIntactFrame(in: bytes, after: offset, sequences: (last + 1)...(last + holeBatches)) != nil
    }

    /// How many batches a damaged stretch may hide before the intact ones after it are looked
    /// for: a stretch is a few batches long (the writer writes at most 16 per call).
    static let holeBatches: UInt64 = 1_024

    private static func allZero(_ bytes: [UInt8], from start: Int) -> Bool {
        var i = start
        while i < bytes.count {
            if bytes[i] != 0 { return false }
            i += 1
        }
        return true
    }
}
