// The write-ahead journal over real files (C-DATA-1): a real JournalWriter thread writing into
// a fresh directory under /tmp, JournalReader's recovery scan over what it wrote, and the
// damage a crash or a disk can do to it: a segment cut at every byte, zeros from every byte
// on, single flipped bits, segments rotated and removed, a write that fails and is retried.
// Waits are bounded (waitUntilDurable, deadlines); nothing depends on timing or the date.

import Testing
import Synchronization
@testable import Journal
import CIntrinsics
#if canImport(Glibc)
import Glibc
#endif

// MARK: - files

/// A fresh directory under /tmp, removed (with its files) by `remove()`.
struct TempDirectory {
    let path: String

    init(_ tag: String = "journal") {
        var template = Array("/tmp/smppd-\(tag)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp: errno \(errno)")
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Removes the directory and the files and empty directories in it.
    func remove() {
        for name in directoryNames(path) {
            let full = path + "/" + name
            if unlink(full) != 0 { rmdir(full) }
        }
        rmdir(path)
    }
}

func directoryNames(_ directory: String) -> [String] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// The segment files of `directory`, in name (= log) order.
func segmentNames(_ directory: String) -> [String] {
    directoryNames(directory).filter { $0.hasSuffix(".wal") }
}

func readFile(_ path: String) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    precondition(fd >= 0, "open \(path): errno \(errno)")
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        precondition(n >= 0, "read \(path): errno \(errno)")
        if n == 0 { return bytes }
        bytes += chunk[0..<n]
    }
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0, "open \(path): errno \(errno)")
    defer { close(fd) }
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
        precondition(n > 0, "write \(path): errno \(errno)")
        done += n
    }
}

func fileSize(_ path: String) -> Int {
    var st = stat()
    precondition(stat(path, &st) == 0, "stat \(path): errno \(errno)")
    return Int(st.st_size)
}

/// Copies every file of `from` into a new temporary directory (each damage case works on its
/// own copy, so one case cannot leak into the next).
func copyDirectory(_ from: String) -> TempDirectory {
    let copy = TempDirectory("journal-copy")
    for name in directoryNames(from) { writeFile(copy.path + "/" + name, readFile(from + "/" + name)) }
    return copy
}

// MARK: - batches

/// A deterministic payload for batch `sequence`: different bytes per batch and per offset.
/// No byte is zero: zeroing any part of a batch's entries must change them.
func payload(_ sequence: UInt64, _ count: Int) -> [UInt8] {
    (0..<count).map {
        let v = UInt8(truncatingIfNeeded: Int(sequence) &* 131 &+ $0 &* 7 &+ ($0 >> 8) &+ 1)
        return v == 0 ? 0x5A : v
    }
}

/// Counts the writer's notify calls (a class: an Atomic cannot be captured by a closure).
final class NotifyCounter: Sendable {
    let count = Atomic<Int>(0)
    func ring() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// A batch buffer as the loop hands it to the writer: header room, then the entries.
func batch(_ sequence: UInt64, _ entries: [UInt8]) -> [UInt8] {
    var bytes = JournalFrame.emptyBatch(sequence: sequence, reservingCapacity: JournalFrame.headerBytes + entries.count)
    bytes += entries
    return bytes
}

/// What replay handed back: each batch's sequence and entry bytes, in the order given.
struct Replayed {
    var batches: [(sequence: UInt64, entries: [UInt8])] = []
    var scan = JournalScan()
    var sequences: [UInt64] { batches.map(\.sequence) }
}

func replayAll(_ directory: String) throws -> Replayed {
    var out = Replayed()
    out.scan = try JournalReader.replay(directory: directory) { sequence, bytes, range in
        out.batches.append((sequence, Array(bytes[range])))
    }
    return out
}

/// A writer on `directory`, started at batch `first`.
func startedWriter(_ directory: String, fsync: FsyncPolicy = .always, segmentBytes: Int, first: UInt64 = 1,
                   notify: @escaping @Sendable () -> Void = {}) throws -> JournalWriter {
    let writer = JournalWriter(configuration: JournalConfiguration(directory: directory, fsync: fsync, segmentBytes: segmentBytes),
                               notify: notify)
    try writer.start(firstSequence: first)
    return writer
}

/// Polls `condition` for up to 10 s: the writer removes, recycles and trims segments on its own
/// thread after it reports a batch durable. Returns the condition's last value.
@discardableResult
func eventually(_ condition: () -> Bool) -> Bool {
    let deadline = monotonicMs() + 10_000
    while !condition() && monotonicMs() < deadline { usleep(200) }
    return condition()
}

/// Runs a writer over `directory` from `first`, submits `items` (sequence, entries, options)
/// in order, waits (bounded) until the last is durable, and stops it.
@discardableResult
func writeJournal(_ directory: String, first: UInt64 = 1, fsync: FsyncPolicy = .always, segmentBytes: Int = 1 << 20,
                  _ items: [(sequence: UInt64, entries: [UInt8], startsSegment: Bool, removeBefore: UInt64)]) throws -> JournalWriter {
    let writer = try startedWriter(directory, fsync: fsync, segmentBytes: segmentBytes, first: first)
    for item in items {
        writer.submit(batch(item.sequence, item.entries), startsSegment: item.startsSegment, removeSegmentsBefore: item.removeBefore)
    }
    if let last = items.last {
        #expect(writer.waitUntilDurable(last.sequence, timeout: .seconds(20)), "batch \(last.sequence) never became durable")
    }
    writer.stop()
    return writer
}

func plain(_ sizes: [Int], from first: UInt64 = 1) -> [(sequence: UInt64, entries: [UInt8], startsSegment: Bool, removeBefore: UInt64)] {
    sizes.enumerated().map { i, size in
        let s = first + UInt64(i)
        return (s, payload(s, size), false, 0)
    }
}

/// Where each batch sits in a segment written from offset 0: [start, end).
func layout(_ sizes: [Int]) -> [Range<Int>] {
    var offset = 0
    return sizes.map { size in
        defer { offset += JournalFrame.headerBytes + size }
        return offset..<(offset + JournalFrame.headerBytes + size)
    }
}

/// CRC32C bit by bit from its definition (reflected polynomial 0x82F63B78), to check the
/// hardware path against.
func referenceCRC32C(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}

func crc32c(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { smppd_crc32c(0, $0.baseAddress, $0.count) } }

// MARK: - tests

@Suite struct JournalTests {

    // MARK: CRC32C

    @Test func theWriterRunsFiveNiceLevelsBelowTheDaemonByDefault() {
        var c = JournalConfiguration(directory: "/nonexistent")
        #expect(c.effectiveWriterNice(daemonNice: 0) == 5)
        #expect(c.effectiveWriterNice(daemonNice: -5) == 0)
        #expect(c.effectiveWriterNice(daemonNice: 17) == 19, "capped at the lowest priority")
        c.writerNice = -3
        #expect(c.effectiveWriterNice(daemonNice: 17) == -3, "a configured value is taken as it is")
    }

    @Test func crc32cGivesTheStandardCheckValue() {
        #expect(crc32c(Array("123456789".utf8)) == 0xE306_9283)
        #expect(crc32c([]) == 0)
        // iSCSI's (RFC 3720 B.4) vectors: 32 zeros, 32 0xFF.
        #expect(crc32c([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(crc32c([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        // Continuing from a CRC gives the CRC of the concatenation.
        let whole = Array("123456789".utf8)
        let head = crc32c(Array(whole[0..<4]))
        let tail = Array(whole[4...])
        #expect(tail.withUnsafeBytes { smppd_crc32c(head, $0.baseAddress, $0.count) } == 0xE306_9283)
    }

    @Test func crc32cMatchesTheBitwiseDefinitionAtEveryLengthAndAlignment() {
        // The SSE4.2 path eats 8 bytes at a time and then a byte-wise tail: every length mod 8
        // and every start alignment.
        let data = payload(7, 200)
        for start in 0..<8 {
            for length in 0..<(data.count - start) where length < 80 || length % 37 == 0 {
                let slice = data[start..<(start + length)]
                let got = data.withUnsafeBytes { smppd_crc32c(0, $0.baseAddress! + start, length) }
                #expect(got == referenceCRC32C(slice), "start \(start) length \(length)")
            }
        }
    }

    @Test func aWrittenBatchCarriesItsLengthAndTheCRCOfSequenceAndEntries() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let entries = payload(1, 45)
        try writeJournal(dir.path, plain([45]))
        let file = readFile(dir.path + "/" + segmentNames(dir.path)[0])
        let length = JournalFrame.loadUInt32(file, at: 0)
        #expect(length == UInt32(8 + entries.count))
        #expect(JournalFrame.loadUInt64(file, at: 8) == 1)
        #expect(Array(file[16..<(16 + entries.count)]) == entries)
        #expect(JournalFrame.loadUInt32(file, at: 4) == referenceCRC32C(file[8..<(8 + Int(length))]))
    }

    // MARK: write and replay

    @Test func batchesWrittenByTheWriterReplayInOrderWithTheSameBytes() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let sizes = (0..<60).map { ($0 * 37) % 300 + 1 }
        let items = plain(sizes, from: 1)
        let writer = try writeJournal(dir.path, items)
        #expect(writer.durableSequence == 60)
        #expect(writer.failures == 0 && writer.failureErrno == 0)
        let replayed = try replayAll(dir.path)
        #expect(replayed.sequences == Array(1...60))
        for (got, want) in zip(replayed.batches, items) { #expect(got.entries == want.entries, "batch \(want.sequence)") }
        #expect(replayed.scan.batches == 60 && replayed.scan.lastSequence == 60)
        #expect(replayed.scan.bytes == sizes.reduce(0) { $0 + JournalFrame.headerBytes + $1 })
        #expect(replayed.scan.truncatedTail == nil)
        #expect(replayed.scan.segments == 1)
    }

    @Test func aRestartedWriterAppendsANewSegmentAfterTheRecoveredOnes() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try writeJournal(dir.path, plain([10, 20, 30], from: 1))
        let first = try replayAll(dir.path)
        try writeJournal(dir.path, first: first.scan.lastSequence + 1, plain([40, 50], from: first.scan.lastSequence + 1))
        #expect(segmentNames(dir.path) == ["0000000000000001.wal", "0000000000000004.wal"])
        let replayed = try replayAll(dir.path)
        #expect(replayed.sequences == [1, 2, 3, 4, 5])
        #expect(replayed.batches.map(\.entries.count) == [10, 20, 30, 40, 50])
    }

    /// A start after a crash: recovery cuts the torn batch, the writer continues with the
    /// sequence after the last intact one in a new segment, and the next recovery reads the
    /// old batches and the new ones, nothing of the torn one.
    @Test func aWriterStartedAfterATornTailContinuesWhereTheIntactBatchesEnd() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try writeJournal(dir.path, segmentBytes: 4096, plain([30, 40, 50, 60], from: 1))
        let path = dir.path + "/" + segmentNames(dir.path)[0]
        var bytes = readFile(path)
        let torn = layout([30, 40, 50, 60])[3]
        for i in (torn.lowerBound + 20)..<bytes.count { bytes[i] = 0 }   // batch 4 half written
        writeFile(path, bytes)
        let recovered = try replayAll(dir.path)
        #expect(recovered.sequences == [1, 2, 3] && recovered.scan.truncatedTail?.offset == torn.lowerBound)
        let next = recovered.scan.lastSequence + 1
        try writeJournal(dir.path, first: next, segmentBytes: 4096, [(next, payload(99, 70), false, 0), (next + 1, payload(98, 80), false, 0)])
        #expect(segmentNames(dir.path) == ["0000000000000001.wal", "0000000000000004.wal"])
        let replayed = try replayAll(dir.path)
        #expect(replayed.sequences == [1, 2, 3, 4, 5])
        #expect(replayed.batches[3].entries == payload(99, 70) && replayed.batches[4].entries == payload(98, 80))
        #expect(replayed.scan.truncatedTail == nil)
    }

    @Test func aSequenceGoingBackwardsIsCorruption() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try writeJournal(dir.path, [(1, payload(1, 9), false, 0), (2, payload(2, 9), false, 0), (2, payload(9, 9), false, 0)])
        let segment = dir.path + "/" + segmentNames(dir.path)[0]
        do {
            _ = try replayAll(dir.path)
            Issue.record("a repeated sequence number was accepted")
        } catch let e as JournalCorruption {
            #expect(e.path == segment && e.offset == 2 * (JournalFrame.headerBytes + 9))
        }
    }

    // MARK: torn tails: every truncation point

    /// Segment A holds batches 1-3; segment B (the newest) batches 4-9 of assorted sizes. Each
    /// size keeps the length's low byte non-zero, so a prefix of a batch's bytes is never all
    /// zeros (an all-zero prefix is indistinguishable from the end of the records).
    static let olderSizes = [20, 30, 25]
    static let newestSizes = [40, 1, 100, 7, 250, 33]

    func writeTwoSegments(_ dir: String) throws -> (older: String, newest: String) {
        var items = plain(Self.olderSizes, from: 1)
        let newest = plain(Self.newestSizes, from: 4)
        items += newest.enumerated().map { i, b in (b.sequence, b.entries, i == 0, 0) }   // 4 starts segment B
        try writeJournal(dir, segmentBytes: 4096, items)
        let names = segmentNames(dir)
        #expect(names == ["0000000000000001.wal", "0000000000000004.wal"])
        return (dir + "/" + names[0], dir + "/" + names[1])
    }

    @Test func recoveryKeepsExactlyTheWholeBatchesBeforeEveryTruncationPoint() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (olderPath, newestPath) = try writeTwoSegments(dir.path)
        let all = try replayAll(dir.path)
        #expect(all.sequences == Array(1...9))
        let olderBytes = readFile(olderPath)
        let ranges = layout(Self.newestSizes)
        let dataEnd = ranges.last!.upperBound
        let newestName = String(newestPath.split(separator: "/").last!)

        for k in 0...dataEnd {
            let whole = ranges.filter { $0.upperBound <= k }.count
            let cut = ranges.first { $0.lowerBound < k && k < $0.upperBound }
            let expected = Array(all.batches[0..<(Self.olderSizes.count + whole)])
            for zeroFill in [false, true] {
                let copy = copyDirectory(dir.path)
                defer { copy.remove() }
                let path = copy.path + "/" + newestName
                if zeroFill {
                    // A torn write into the pre-allocated segment: the file keeps its length,
                    // the bytes from k on never reached the disk.
                    var bytes = readFile(path)
                    for i in k..<bytes.count { bytes[i] = 0 }
                    writeFile(path, bytes)
                } else {
                    #expect(truncate(path, off_t(k)) == 0)
                }
                let label = "k=\(k) \(zeroFill ? "zeroed" : "truncated")"
                let first = try replayAll(copy.path)
                #expect(first.sequences == expected.map(\.sequence), "\(label)")
                #expect(zip(first.batches, expected).allSatisfy { $0.entries == $1.entries }, "\(label): a batch changed")
                if let cut, zeroFill || k - cut.lowerBound >= 8 {
                    // Cut off where the torn batch starts, and said so.
                    #expect(first.scan.truncatedTail?.path == path, "\(label)")
                    #expect(first.scan.truncatedTail?.offset == cut.lowerBound, "\(label)")
                    #expect(first.scan.truncatedTail?.bytes == (zeroFill ? 4096 : k) - cut.lowerBound, "\(label)")
                    #expect(fileSize(path) == cut.lowerBound, "\(label)")
                } else if cut == nil {
                    #expect(first.scan.truncatedTail == nil, "\(label)")
                }
                // The older segment is never touched by a tail cut.
                #expect(readFile(copy.path + "/" + String(olderPath.split(separator: "/").last!)) == olderBytes, "\(label)")
                // Idempotent: a second recovery finds the same prefix and nothing to cut.
                let second = try replayAll(copy.path)
                #expect(second.sequences == expected.map(\.sequence), "\(label) (second replay)")
                #expect(zip(second.batches, expected).allSatisfy { $0.entries == $1.entries }, "\(label) (second replay)")
                #expect(second.scan.truncatedTail == nil, "\(label) (second replay)")
            }
        }
    }

    /// A file cut 1-7 bytes into a batch (inside its length and CRC) is a torn tail like any
    /// other: the partial header must be cut off and reported, as it is from 8 bytes on.
    @Test func aTailShorterThanABatchHeaderIsCutAndReported() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (_, newestPath) = try writeTwoSegments(dir.path)
        let ranges = layout(Self.newestSizes)
        let last = ranges.last!
        let newestName = String(newestPath.split(separator: "/").last!)
        var missed: [Int] = []
        for into in 1..<8 {
            let copy = copyDirectory(dir.path)
            defer { copy.remove() }
            let path = copy.path + "/" + newestName
            #expect(truncate(path, off_t(last.lowerBound + into)) == 0)
            let replayed = try replayAll(copy.path)
            #expect(replayed.sequences == Array(1...8))
            if replayed.scan.truncatedTail?.offset != last.lowerBound || fileSize(path) != last.lowerBound { missed.append(into) }
        }
        #expect(missed.isEmpty, "a tail of \(missed) bytes was neither cut nor reported")
    }

    // MARK: flipped bits

    /// Flips `bit` of byte `offset` in `path`.
    func flip(_ path: String, byte offset: Int, bit: Int) {
        var bytes = readFile(path)
        bytes[offset] ^= UInt8(1 << bit)
        writeFile(path, bytes)
    }

    @Test func aFlippedBitInABatchFollowedByIntactOnesIsCorruptionNamingFileAndOffset() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (_, newestPath) = try writeTwoSegments(dir.path)
        let newestName = String(newestPath.split(separator: "/").last!)
        let target = layout(Self.newestSizes)[2]   // batch 6 of segment B; batches 7-9 follow it
        // Every bit of the CRC, the sequence number and the entries (the length field has its
        // own test below).
        for offset in (target.lowerBound + 4)..<target.upperBound {
            for bit in 0..<8 {
                let copy = copyDirectory(dir.path)
                defer { copy.remove() }
                let path = copy.path + "/" + newestName
                flip(path, byte: offset, bit: bit)
                let before = readFile(path)
                do {
                    let r = try replayAll(copy.path)
                    Issue.record("byte \(offset) bit \(bit): accepted, replayed \(r.sequences), tail \(String(describing: r.scan.truncatedTail))")
                } catch let e as JournalCorruption {
                    #expect(e.path == path && e.offset == target.lowerBound, "byte \(offset) bit \(bit): \(e)")
                }
                // Recovery refuses; it must not have cut anything off either.
                #expect(readFile(path) == before, "byte \(offset) bit \(bit): the segment was changed")
            }
        }
    }

    @Test func aBadFirstBatchFollowedByIntactOnesIsCorruptionHoweverHighTheirNumbers() throws {
        // The first batch of the whole log, numbered far past 2^24 (a journal compacted after
        // days at full load): nothing was read before it, and the batches after it still count.
        let dir = TempDirectory()
        defer { dir.remove() }
        let first: UInt64 = 1 << 40
        try writeJournal(dir.path, first: first, [(first, payload(first, 30), false, 0), (first + 1, payload(first + 1, 30), false, 0),
                                                 (first + 2, payload(first + 2, 30), false, 0)])
        let path = dir.path + "/" + segmentNames(dir.path)[0]
        flip(path, byte: JournalFrame.headerBytes + 3, bit: 2)   // an entry byte of the first batch
        do {
            let r = try replayAll(dir.path)
            Issue.record("accepted, replayed \(r.sequences), tail \(String(describing: r.scan.truncatedTail))")
        } catch let e as JournalCorruption {
            #expect(e.offset == 0, "\(e)")
        }
    }

    /// A bit flipped in the length field of a batch that has intact batches after it: the
    /// length no longer checks out, and the batches after it were acknowledged, so this is
    /// corruption (to stop on), not a torn tail (to cut off silently).
    @Test func aFlippedBitInTheLengthOfABatchFollowedByIntactOnesIsCorruption() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (_, newestPath) = try writeTwoSegments(dir.path)
        let newestName = String(newestPath.split(separator: "/").last!)
        let target = layout(Self.newestSizes)[2]
        var cutInstead: [String] = []
        for bitIndex in 0..<32 {
            let copy = copyDirectory(dir.path)
            defer { copy.remove() }
            let path = copy.path + "/" + newestName
            flip(path, byte: target.lowerBound + bitIndex / 8, bit: bitIndex % 8)
            do {
                let r = try replayAll(copy.path)
                cutInstead.append("bit \(bitIndex): kept \(r.sequences), cut \(String(describing: r.scan.truncatedTail))")
            } catch let e as JournalCorruption {
                #expect(e.path == path && e.offset == target.lowerBound, "length bit \(bitIndex): \(e)")
            }
        }
        #expect(cutInstead.isEmpty, "length flips replayed as a torn tail, dropping batches 7-9: \(cutInstead)")
    }

    @Test func theSameFlipInTheNewestSegmentsLastBatchIsATornTail() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (_, newestPath) = try writeTwoSegments(dir.path)
        let newestName = String(newestPath.split(separator: "/").last!)
        let target = layout(Self.newestSizes).last!   // batch 9: nothing but zeros after it
        for offset in (target.lowerBound + 4)..<target.upperBound {
            for bit in [0, 3, 7] {
                let copy = copyDirectory(dir.path)
                defer { copy.remove() }
                let path = copy.path + "/" + newestName
                flip(path, byte: offset, bit: bit)
                let r = try replayAll(copy.path)
                #expect(r.sequences == Array(1...8), "byte \(offset) bit \(bit)")
                #expect(r.scan.truncatedTail?.path == path && r.scan.truncatedTail?.offset == target.lowerBound,
                        "byte \(offset) bit \(bit)")
                #expect(fileSize(path) == target.lowerBound)
                let again = try replayAll(copy.path)
                #expect(again.sequences == Array(1...8) && again.scan.truncatedTail == nil)
            }
        }
    }

    @Test func aFlipInAnOlderSegmentIsCorruptionEvenInItsLastBatch() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (olderPath, newestPath) = try writeTwoSegments(dir.path)
        let olderName = String(olderPath.split(separator: "/").last!)
        let newestName = String(newestPath.split(separator: "/").last!)
        let target = layout(Self.olderSizes).last!   // batch 3, the last of segment A
        for offset in stride(from: target.lowerBound + 4, to: target.upperBound, by: 3) {
            let copy = copyDirectory(dir.path)
            defer { copy.remove() }
            let path = copy.path + "/" + olderName
            flip(path, byte: offset, bit: offset % 8)
            let before = readFile(path)
            let newestBefore = readFile(copy.path + "/" + newestName)
            do {
                let r = try replayAll(copy.path)
                Issue.record("byte \(offset): accepted, replayed \(r.sequences)")
            } catch let e as JournalCorruption {
                #expect(e.path == path && e.offset == target.lowerBound, "byte \(offset): \(e)")
            }
            #expect(readFile(path) == before && readFile(copy.path + "/" + newestName) == newestBefore)
        }
    }

    // MARK: fsync policies

    @Test(arguments: FsyncPolicy.allCases)
    func everyPolicyMakesBatchesDurable(policy: FsyncPolicy) throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let notified = NotifyCounter()
        let writer = try startedWriter(dir.path, fsync: policy, segmentBytes: 1 << 20, notify: { notified.ring() })
        #expect(writer.durableSequence == 0)
        // One batch at a time: each is its own group commit.
        for s in UInt64(1)...5 {
            writer.submit(batch(s, payload(s, 64)))
            #expect(writer.waitUntilDurable(s, timeout: .seconds(20)), "\(policy): batch \(s)")
            if policy == .always { #expect(writer.syncCount == Int(s), "\(policy): one fdatasync per group commit") }
        }
        // A burst: group commit may take them together, never more syncs than batches.
        let syncsBefore = writer.syncCount
        for s in UInt64(6)...25 { writer.submit(batch(s, payload(s, 64))) }
        #expect(writer.waitUntilDurable(25, timeout: .seconds(20)))
        if policy == .always { #expect(writer.syncCount > syncsBefore && writer.syncCount <= syncsBefore + 20) }
        #expect(notified.value >= 1)
        writer.stop()
        switch policy {
        case .always, .everysec: #expect(writer.syncCount >= 1, "stop syncs what was written")
        case .never: #expect(writer.syncCount == 0, "never: no fdatasync at all")
        }
        #expect(try replayAll(dir.path).sequences == Array(1...25))
    }

    // MARK: segments

    @Test func smallSegmentsRotateAndABatchLargerThanASegmentGetsABiggerOne() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        // 1,000-byte entries: 1,016 bytes a batch, four to a 4,096-byte segment.
        var sizes = [Int](repeating: 1_000, count: 12)
        sizes.append(10_000)   // batch 13: larger than a segment
        sizes.append(1_000)    // batch 14: does not fit behind it
        let writer = try writeJournal(dir.path, segmentBytes: 4096, plain(sizes))
        let names = segmentNames(dir.path)
        #expect(names == ["0000000000000001.wal", "0000000000000005.wal", "0000000000000009.wal",
                          "000000000000000d.wal", "000000000000000e.wal"])
        #expect(writer.segments == 5)
        #expect(fileSize(dir.path + "/000000000000000d.wal") >= JournalFrame.headerBytes + 10_000)
        #expect(fileSize(dir.path + "/0000000000000001.wal") == 4096)
        let replayed = try replayAll(dir.path)
        #expect(replayed.sequences == Array(1...14))
        #expect(replayed.batches.map(\.entries.count) == sizes)
        #expect(replayed.batches.allSatisfy { $0.entries == payload($0.sequence, $0.entries.count) })
    }

    @Test func segmentsBeforeACompactionPassAreRemovedOnceItsLastBatchIsDurable() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let writer = try startedWriter(dir.path, fsync: .always, segmentBytes: 4096)
        // Batches 1-9 fill three segments; 10 starts the pass's segment; 14 ends the pass.
        for s in UInt64(1)...9 { writer.submit(batch(s, payload(s, 1_000))) }
        #expect(writer.waitUntilDurable(9, timeout: .seconds(20)))
        #expect(segmentNames(dir.path).count == 3)
        writer.submit(batch(10, payload(10, 100)), startsSegment: true)
        for s in UInt64(11)...13 { writer.submit(batch(s, payload(s, 100))) }
        #expect(writer.waitUntilDurable(13, timeout: .seconds(20)))
        #expect(segmentNames(dir.path).count == 4, "nothing is removed before the pass ends")
        writer.submit(batch(14, payload(14, 100)), removeSegmentsBefore: 10)
        #expect(writer.waitUntilDurable(14, timeout: .seconds(20)))
        // The removal follows the durable report on the writer thread: wait for it (bounded).
        #expect(eventually { segmentNames(dir.path) == ["000000000000000a.wal"] }, "\(segmentNames(dir.path))")
        // Taken out of the log at once: as many as the log's size are kept as spares to be
        // written over (here one: the log is one segment), the others trimmed away a few MiB
        // at a time (unlinking 64 MiB at once stalls the disk's next syncs): gone soon after.
        eventually { !directoryNames(dir.path).contains { $0.hasSuffix(".retired") } }
        #expect(directoryNames(dir.path).sorted() == ["0000000000000001.wal.spare", "000000000000000a.wal"], "retired segments left behind")
        #expect(writer.bytesInLog == 4096 && writer.bytesOnDisk == 2 * 4096)
        writer.stop()
        #expect(writer.segments == 1)
        let replayed = try replayAll(dir.path)
        #expect(replayed.sequences == Array(10...14))
        #expect(replayed.scan.segments == 1)
    }

    @Test func aSpareIsWrittenOverAsTheNextSegmentAndWhatItHeldIsNeverRead() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let writer = try startedWriter(dir.path, fsync: .always, segmentBytes: 4096)
        // 1-3 fill segment 1; 4 starts a pass in segment 4 and ends it: segment 1 becomes a spare.
        for s in UInt64(1)...3 { writer.submit(batch(s, payload(s, 1_000))) }
        writer.submit(batch(4, payload(4, 100)), startsSegment: true, removeSegmentsBefore: 4)
        #expect(writer.waitUntilDurable(4, timeout: .seconds(20)))
        eventually { directoryNames(dir.path).contains("0000000000000001.wal.spare") }
        #expect(directoryNames(dir.path).sorted() == ["0000000000000001.wal.spare", "0000000000000004.wal"])
        // 5-7 fill segment 4; 8 needs a new segment: the spare, written over.
        for s in UInt64(5)...8 { writer.submit(batch(s, payload(s, 1_000))) }
        #expect(writer.waitUntilDurable(8, timeout: .seconds(20)))
        #expect(writer.recycledSegments == 1)
        #expect(directoryNames(dir.path).sorted() == ["0000000000000004.wal", "0000000000000008.wal"])
        // Its first frame is batch 8, then the zero trailer, then what remains of batches 2-3.
        let recycled = readFile(dir.path + "/0000000000000008.wal")
        let end = JournalFrame.headerBytes + 1_000
        #expect(recycled.count == 4096)
        #expect(recycled[end..<(end + 8)].allSatisfy { $0 == 0 }, "no zero trailer after the last batch")
        #expect(recycled[(end + 8)...].contains { $0 != 0 }, "the spare's old batches should still be there")
        // As after kill -9 (the page cache holds what was written): only the new batches.
        let replayed = try replayAll(dir.path)
        #expect(replayed.sequences == Array(4...8))
        #expect(replayed.scan.truncatedTail == nil)
        writer.stop()
        #expect(try replayAll(dir.path).sequences == Array(4...8))
    }

    @Test func sparesNeverOutgrowTheLogEvenWhenALaterPassShrinksIt() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let writer = try startedWriter(dir.path, fsync: .always, segmentBytes: 4096)
        func spares() -> [String] { directoryNames(dir.path).filter { $0.hasSuffix(".spare") } }
        func waitFor(_ what: String, _ condition: () -> Bool) {
            let met = eventually(condition)
            #expect(met, "\(what): \(directoryNames(dir.path).sorted())")
        }
        // Segments 1, 4, 7, 10, 13 (three batches each); 16 opens a sixth and ends a pass that
        // removes 1 and 4: the log keeps four, so both become spares.
        for s in UInt64(1)...15 { writer.submit(batch(s, payload(s, 1_300))) }
        writer.submit(batch(16, payload(16, 1_300)), removeSegmentsBefore: 7)
        #expect(writer.waitUntilDurable(16, timeout: .seconds(20)))
        waitFor("two spares") { spares().count == 2 }
        // A pass that leaves one segment: one spare at most may stay.
        writer.submit(batch(17, payload(17, 100)), removeSegmentsBefore: 16)
        #expect(writer.waitUntilDurable(17, timeout: .seconds(20)))
        waitFor("the log down to one segment") { segmentNames(dir.path) == ["0000000000000010.wal"] }
        waitFor("one spare, the rest trimmed away") { spares().count == 1 && !directoryNames(dir.path).contains { $0.hasSuffix(".retired") } }
        #expect(writer.bytesOnDisk - writer.bytesInLog <= writer.bytesInLog)
        writer.stop()
        #expect(try replayAll(dir.path).sequences == [16, 17])
    }

    @Test func aRecycledSegmentWithoutItsTrailerEndsAtItsFirstOlderBatch() throws {
        // A power loss can keep a batch written over a spare and lose the trailer after it:
        // the next frame is then one of the file's old batches, intact but older.
        let dir = TempDirectory()
        defer { dir.remove() }
        try writeJournal(dir.path, [(1, payload(1, 50), false, 0), (2, payload(2, 50), false, 0), (3, payload(3, 50), false, 0)])
        let old = readFile(dir.path + "/" + segmentNames(dir.path)[0])
        unlink(dir.path + "/" + segmentNames(dir.path)[0])
        // Batches as the writer frames them (length, CRC), from a scratch journal.
        func framed(_ sequence: UInt64) throws -> [UInt8] {
            let scratch = TempDirectory()
            defer { scratch.remove() }
            try writeJournal(scratch.path, first: sequence, [(sequence, payload(sequence, 50), false, 0)])
            return Array(readFile(scratch.path + "/" + segmentNames(scratch.path)[0]).prefix(JournalFrame.headerBytes + 50))
        }
        let frame = JournalFrame.headerBytes + 50
        var file = try framed(9)                        // batch 9 over old batch 1
        file += old[frame..<(3 * frame)]                // old batches 2 and 3, intact
        writeFile(dir.path + "/0000000000000009.wal", file)
        let replayed = try replayAll(dir.path)
        #expect(replayed.sequences == [9])
        // A newer batch after an older one is a hole, not the end: corruption.
        file += try framed(11)
        writeFile(dir.path + "/0000000000000009.wal", file)
        do {
            _ = try replayAll(dir.path)
            Issue.record("a newer batch past an old one was not reported")
        } catch let e as JournalCorruption {
            #expect(e.offset == frame, "\(e)")
        }
    }

    @Test func aSkippedSequenceNumberIsCorruption() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try writeJournal(dir.path, [(1, payload(1, 9), false, 0), (2, payload(2, 9), false, 0), (4, payload(4, 9), false, 0)])
        do {
            _ = try replayAll(dir.path)
            Issue.record("batch 3 missing was not reported")
        } catch let e as JournalCorruption {
            #expect(e.offset == 2 * (JournalFrame.headerBytes + 9) && e.reason.contains("batch 4 after batch 2"), "\(e)")
        }
    }

    /// Retired segments a run left behind (it stopped while trimming them) are trimmed away by
    /// the next writer, and recovery never reads them.
    @Test func retiredSegmentsLeftBehindAreTrimmedAwayAndNeverRead() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let stray = dir.path + "/0000000000000001.wal.retired"
        let fd = open(stray, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        let junk = [UInt8](repeating: 0x5A, count: 9 << 20)   // more than two trim steps
        _ = junk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let writer = try startedWriter(dir.path, fsync: .never, segmentBytes: 4096, first: 5)
        #expect(eventually { !directoryNames(dir.path).contains { $0.hasSuffix(".retired") } }, "the stray retired segment is still there")
        writer.stop()
        #expect(try replayAll(dir.path).scan.batches == 0)
    }

    /// everysec: the pass's copy is written but not synced when it is reported durable. The
    /// segments before it (the only other copy of the data) must not be unlinked until the
    /// copy is synced, or a power loss right after a compaction loses everything older than
    /// the pass instead of about a second.
    @Test func everysecSyncsThePassBeforeRemovingTheSegmentsItReplaces() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let writer = try startedWriter(dir.path, fsync: .everysec, segmentBytes: 4096)
        for s in UInt64(1)...9 { writer.submit(batch(s, payload(s, 1_000))) }
        #expect(writer.waitUntilDurable(9, timeout: .seconds(20)))
        // The pass: its segment is opened (syncing the one before), its copy written, then the
        // end asks for the removal.
        writer.submit(batch(10, payload(10, 500)), startsSegment: true)
        #expect(writer.waitUntilDurable(10, timeout: .seconds(20)))
        let syncsBeforeEnd = writer.syncCount
        writer.submit(batch(11, payload(11, 500)), removeSegmentsBefore: 10)
        #expect(writer.waitUntilDurable(11, timeout: .seconds(20)))
        eventually { segmentNames(dir.path).count == 1 }
        let syncsAtRemoval = writer.syncCount
        #expect(segmentNames(dir.path) == ["000000000000000a.wal"])
        #expect(syncsAtRemoval > syncsBeforeEnd, "old segments unlinked while batches 10-11 were never fdatasync'ed")
        writer.stop()
    }

    // MARK: failure and retry

    /// A write that fails (here: the next segment's name is taken by a directory, EISDIR) is
    /// retried in order until it goes through; nothing after it is reported durable meanwhile.
    @Test func aFailingWriteIsRetriedInOrderAndReportedMeanwhile() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let notified = NotifyCounter()
        let writer = try startedWriter(dir.path, fsync: .always, segmentBytes: 1 << 20, notify: { notified.ring() })
        for s in UInt64(1)...4 { writer.submit(batch(s, payload(s, 50))) }
        #expect(writer.waitUntilDurable(4, timeout: .seconds(20)))
        let blocker = dir.path + "/0000000000000005.wal"
        #expect(mkdir(blocker, 0o755) == 0)
        writer.submit(batch(5, payload(5, 50)), startsSegment: true)
        writer.submit(batch(6, payload(6, 50)))
        writer.submit(batch(7, payload(7, 50)))
        eventually { writer.failureErrno != 0 }
        #expect(writer.failureErrno == EISDIR)
        #expect(writer.failures >= 1)
        #expect(writer.failureDescription?.contains("0000000000000005.wal") == true)
        // Let a few retries go by (each 100 ms apart): still failing, still nothing durable.
        let failuresSeen = writer.failures
        eventually { writer.failures >= failuresSeen + 2 }
        #expect(writer.durableSequence == 4)
        #expect(rmdir(blocker) == 0)
        #expect(writer.waitUntilDurable(7, timeout: .seconds(20)))
        #expect(writer.failureErrno == 0)
        #expect(notified.value >= 3, "the failure and its end are rung, as are the durable advances")
        writer.stop()
        let replayed = try replayAll(dir.path)
        #expect(replayed.sequences == Array(1...7))
        #expect(replayed.batches.allSatisfy { $0.entries == payload($0.sequence, 50) })
        #expect(segmentNames(dir.path) == ["0000000000000001.wal", "0000000000000005.wal"])
    }
}

func monotonicMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
