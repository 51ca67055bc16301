// The durable store's journal end to end below the messaging service (C-DATA-1): a
// MemoryMessageStore and PendingDeliveries driven as MessageService drives them, every change
// staged in a StoreJournal and written by a real JournalWriter thread into a temporary
// directory; then StoreRecovery replays the files into a fresh store, which must hold the same
// records and the same pending receipts and MO, however often it is replayed, and also after
// a compaction pass that ran while records kept arriving. Seeded (SplitMix64): a failure
// replays exactly. Waits are bounded; nothing depends on the date (times start at testNow).

import Testing
import SMPP
import Carrier
import Journal
@testable import Store
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp; `remove()` deletes it and the files in it.
struct JournalDirectory {
    let path: String

    init() {
        var template = Array("/tmp/smppd-store-journal-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp: errno \(errno)")
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    var segmentFirstSequences: [UInt64] {
        names.compactMap { name in
            guard name.hasSuffix(".wal"), name.count == 20 else { return nil }
            return UInt64(name.prefix(16), radix: 16)
        }.sorted()
    }

    var names: [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var found: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { found.append(name) }
        }
        return found
    }

    func remove() {
        for name in names { unlink(path + "/" + name) }
        rmdir(path)
    }
}

private func monotonicMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// A store, its delivery queues and its journal, changed by seeded random operations the way
/// MessageService changes them (the same calls, the same entries staged for each).
private final class DurableModel {
    static let accounts: [ShortBytes] = ["acme", "rival", "third"]
    let directory = JournalDirectory()
    let store: MemoryMessageStore
    let deliveries = PendingDeliveries<DeliveryPayload>()
    let writer: JournalWriter
    let journal: StoreJournal
    var random: SplitMix64
    var ids = MessageIDGenerator(startUnixMillis: testNow)
    var now = testNow
    var inserted: [MessageID] = []
    var owner: [MessageID: ShortBytes] = [:]
    /// The credits entries last staged per account, as recovery must report them.
    var credits: [ShortBytes: (configured: Int?, left: Int?)] = [:]
    var nextMOID: UInt64 = 1

    init(seed: UInt64, segmentBytes: Int, capacity: Int = 100_000) throws {
        random = SplitMix64(seed: seed)
        store = MemoryMessageStore(configuration: MessageStoreConfiguration(capacity: capacity, maximumValidityMillis: 60_000))
        writer = JournalWriter(configuration: JournalConfiguration(directory: directory.path, fsync: .everysec,
                                                                   segmentBytes: segmentBytes), notify: {})
        try writer.start(firstSequence: 1)
        journal = StoreJournal(writer: writer, nextSequence: 1)
        store.trackJournalBases()
    }

    func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }

    func enqueue(_ payload: DeliveryPayload, for account: ShortBytes) {
        guard case .queued = deliveries.enqueue(payload, for: account, now: now, commit: journal.openSequence) else {
            preconditionFailure("the test's queues never fill")
        }
    }

    /// One random operation; `insertsAndStatusOnly` limits it to what a compaction test
    /// interleaves with the pass (new records, state changes, receipts).
    func step(insertsAndStatusOnly: Bool = false) {
        now += Int64(int(0...300))
        let roll = int(0...99)
        switch insertsAndStatusOnly ? roll % 70 : roll {
        case 0..<30: insert()
        case 30..<55: outcome()
        case 55..<62: cancel()
        case 62..<70: expire()
        case 70..<84: deliverOne()
        case 84..<93: mobileOriginated()
        default: creditsEntry()
        }
        if int(0...2) == 0 { journal.seal() }
    }

    func insert() {
        let id = ids.next()
        let account = Self.accounts[int(0...2)]
        let validity: Int64? = int(0...1) == 0 ? now + Int64(int(1_000...20_000)) : nil
        let hold: Int64 = int(0...3) == 0 ? now + Int64(int(0...3_000)) : .max
        let delivery: UInt8 = [0, 1, 2, 0x11][int(0...3)]
        var record = makeRecord(id, account: account, at: now, validity: validity, forwardDeadline: hold,
                                registeredDelivery: delivery)
        if int(0...4) == 0, case .success(let c) = ConcatenationInfo.validated(
            reference: int(0...1) == 0 ? .eightBit(UInt8(int(0...255))) : .sixteenBit(UInt16(int(0...65_535))),
            total: 3, sequence: UInt8(int(1...3))) {
            record.concatenation = c
        }
        record.dataCoding = [DataCoding.ascii, .ucs2, .smscDefault][int(0...2)]
        guard store.insert(record, journalBase: journal.openSequence) == .inserted else { preconditionFailure("insert refused") }
        inserted.append(id)
        owner[id] = account
        // As MessageService does: the record as the store keeps it (validity clamped).
        journal.insert(store.record(id)!)
    }

    func pick() -> MessageID? { inserted.isEmpty ? nil : inserted[int(0...(inserted.count - 1))] }

    /// A carrier outcome (MessageService.applyPendingOutcomes).
    func outcome() {
        guard let id = pick() else { return }
        let state = [MessageState.delivered, .undeliverable, .rejected, .expired, .unknown, .accepted, .enroute][int(0...6)]
        let applied = store.finishReturningReceipt(id, state: state, errorCode: UInt16(int(0...1_200)), now: now)
        guard applied.moved else { return }
        journal.status(id, state: state, isForwarded: applied.isForwarded, finalTime: applied.finalTime,
                       errorCode: applied.errorCode, receiptQueued: applied.receipt != nil)
        if let r = applied.receipt { enqueue(.receipt(r), for: r.systemID) }
    }

    /// cancel_sm (MessageService.cancel).
    func cancel() {
        guard let id = pick() else { return }
        guard case .cancelled(let record) = store.cancel(id, systemID: owner[id]!, now: now, carrierHasTaken: false) else { return }
        let wants = record.wantsReceiptNotice(for: .deleted)
        journal.status(of: record, receiptQueued: wants)
        if wants { enqueue(.receipt(record), for: record.systemID) }
    }

    /// The sweep's expiry (MessageService.sweep).
    func expire() {
        now += Int64(int(0...5_000))
        var expired: [MessageRecord] = []
        _ = store.expire(now: now, limit: 5) { expired.append($0) }
        for record in expired {
            let wants = record.wantsReceiptNotice(for: .expired)
            journal.status(of: record, receiptQueued: wants)
            if wants { enqueue(.receipt(record), for: record.systemID) }
        }
    }

    /// A deliver_sm answered: acknowledged, or refused for good (dropped); either way done.
    func deliverOne() {
        let account = Self.accounts[int(0...2)]
        guard let d = deliveries.take(for: account, holder: 1, now: now) else { return }
        if int(0...3) == 0 {
            guard case .dropped(let payload, _) = deliveries.nack(d.token, .permanent, now: now) else {
                preconditionFailure("a permanent nack drops")
            }
            journal.deliveryDone(payload)
        } else {
            journal.deliveryDone(deliveries.acknowledge(d.token)!)
        }
    }

    func mobileOriginated() {
        let account = Self.accounts[int(0...2)]
        let m = MobileOriginatedMessage(
            source: StoredAddress(ShortBytes(truncating: "4917\(int(1_000_000...9_999_999))".utf8)),
            destination: StoredAddress(ShortBytes(truncating: "12345".utf8), ton: 0x03, npi: 0x00),
            dataCoding: int(0...1) == 0 ? .ascii : .ucs2,
            shortMessage: (0..<int(0...160)).map { _ in UInt8(int(0...255)) }, esmClass: int(0...3) == 0 ? 0x40 : 0x00,
            id: nextMOID)
        nextMOID += 1
        journal.mo(m, account: account)
        enqueue(.mobileOriginated(m), for: account)
    }

    func creditsEntry() {
        let account = Self.accounts[int(0...2)]
        let configured: Int? = int(0...3) == 0 ? nil : 10_000
        let left: Int? = configured == nil ? nil : int(0...10_000)
        journal.credits(account: account, configured: configured, left: left)
        credits[account] = (configured, left)
    }

    /// Ends a compaction pass as MessageService does: every pending delivery, the credits and
    /// the id floors copied forward, then the pass's last batch sealed (its number returned).
    func endCompactionPass() -> UInt64 {
        deliveries.forEachItem { account, payload in
            switch payload {
            case .receipt(let r): journal.receiptQueued(r.id, state: r.state)
            case .mobileOriginated(let m): journal.mo(m, account: account)
            }
        }
        for (account, c) in credits { journal.credits(account: account, configured: c.configured, left: c.left) }
        journal.counters(lastMessageID: ids.lastIssued?.rawValue ?? 0, lastMOID: nextMOID - 1)
        journal.endCompaction()
        return journal.seal(force: true)!
    }

    /// Stages the id floors, seals (forced: a plain seal leaves the batch open while the
    /// writer is behind), waits (bounded) until everything is durable and stops the writer, as
    /// closeJournal does.
    func close() {
        journal.counters(lastMessageID: ids.lastIssued?.rawValue ?? 0, lastMOID: nextMOID - 1)
        let last = journal.seal(force: true) ?? journal.openSequence - 1
        #expect(writer.waitUntilDurable(last, timeout: .seconds(30)), "batch \(last) never became durable")
        writer.stop()
        #expect(writer.failures == 0)
    }

    /// The pending deliveries as recovery should report them, oldest first.
    var pendingReceipts: [(id: MessageID, state: MessageState)] {
        var out: [(MessageID, MessageState)] = []
        deliveries.forEachItem { _, payload in if case .receipt(let r) = payload { out.append((r.id, r.state)) } }
        return out
    }

    var pendingMO: [(account: ShortBytes, message: MobileOriginatedMessage)] {
        var out: [(ShortBytes, MobileOriginatedMessage)] = []
        deliveries.forEachItem { account, payload in if case .mobileOriginated(let m) = payload { out.append((account, m)) } }
        return out
    }

    func recover() throws -> (MemoryMessageStore, RecoveredStore) {
        let fresh = MemoryMessageStore(configuration: store.configuration)
        let recovered = try StoreRecovery.recover(directory: directory.path, into: fresh)
        fresh.testsOnly_checkInvariants()
        return (fresh, recovered)
    }
}

/// A record with its forwarded flag as the transition table reads it at `now`. The hold rule
/// sets the stored flag as a side effect of an event that then changes nothing (an ENROUTE
/// report, a refused cancel), which is not journaled; after a restart the deadline gives
/// the same answer, so the flag is compared as the table sees it.
private func normalized(_ record: MessageRecord?, at now: Int64) -> MessageRecord? {
    guard var r = record else { return nil }
    r.isForwarded = r.status(at: now).isForwarded
    return r
}

private func expectSameRecords(_ recovered: MemoryMessageStore, as model: DurableModel, _ label: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
    var differing: [String] = []
    for id in model.inserted {
        let want = model.store.record(id), got = recovered.record(id)
        guard let want, let got else {
            if (want == nil) != (got == nil) { differing.append("\(id): \(want == nil ? "extra" : "missing")") }
            continue
        }
        if got.state != want.state || got.finalTime != want.finalTime || got.errorCode != want.errorCode
            || got.status(at: model.now).isForwarded != want.status(at: model.now).isForwarded {
            differing.append("\(id): \(got.state)/\(String(describing: got.finalTime))/\(got.errorCode)/\(got.isForwarded) "
                             + "want \(want.state)/\(String(describing: want.finalTime))/\(want.errorCode)/\(want.isForwarded)")
        } else if normalized(got, at: model.now) != normalized(want, at: model.now) {
            differing.append("\(id): another field differs: \(got) want \(want)")
        }
    }
    #expect(differing.isEmpty, "\(label): \(differing.count) records differ: \(differing.prefix(5))", sourceLocation: sourceLocation)
    #expect(recovered.count == model.store.count, "\(label)", sourceLocation: sourceLocation)
    #expect(recovered.liveCount == model.store.liveCount, "\(label)", sourceLocation: sourceLocation)
}

private func receiptKeys(_ list: [(id: MessageID, state: MessageState)]) -> [String] { list.map { "\($0.id)/\($0.state)" } }
private func moKeys(_ list: [(account: ShortBytes, message: MobileOriginatedMessage)]) -> [String] {
    list.map { "\($0.account)/\($0.message.id)/\($0.message.shortMessage.count)" }
}

private func expectSameRest(_ recovered: RecoveredStore, as model: DurableModel, ordered: Bool, _ label: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
    let gotReceipts = receiptKeys(recovered.pendingReceipts), wantReceipts = receiptKeys(model.pendingReceipts)
    let gotMO = moKeys(recovered.pendingMO), wantMO = moKeys(model.pendingMO)
    if ordered {
        #expect(gotReceipts == wantReceipts, "\(label): pending receipts", sourceLocation: sourceLocation)
        #expect(gotMO == wantMO, "\(label): pending MO", sourceLocation: sourceLocation)
    } else {
        #expect(gotReceipts.sorted() == wantReceipts.sorted() && gotReceipts.count == Set(gotReceipts).count,
                "\(label): pending receipts", sourceLocation: sourceLocation)
        #expect(gotMO.sorted() == wantMO.sorted() && gotMO.count == Set(gotMO).count, "\(label): pending MO",
                sourceLocation: sourceLocation)
    }
    // The MO themselves, not just their ids.
    let byID = Dictionary(uniqueKeysWithValues: model.pendingMO.map { ($0.message.id, $0) })
    for (account, message) in recovered.pendingMO {
        #expect(byID[message.id]?.message == message && byID[message.id]?.account == account, "\(label): MO \(message.id)",
                sourceLocation: sourceLocation)
    }
    #expect(Set(recovered.credits.keys) == Set(model.credits.keys), "\(label): credits accounts", sourceLocation: sourceLocation)
    for (account, want) in model.credits {
        #expect(recovered.credits[account]?.configured == want.configured && recovered.credits[account]?.left == want.left,
                "\(label): credits of \(account)", sourceLocation: sourceLocation)
    }
    #expect(recovered.lastMessageID == model.ids.lastIssued?.rawValue ?? 0, "\(label)", sourceLocation: sourceLocation)
    #expect(recovered.lastMOID == model.nextMOID - 1, "\(label)", sourceLocation: sourceLocation)
    #expect(recovered.recordsNotRestored == 0, "\(label)", sourceLocation: sourceLocation)
    #expect(recovered.scan.truncatedTail == nil, "\(label)", sourceLocation: sourceLocation)
}

@Suite struct StoreJournalReplayTests {

    @Test(arguments: [1, 2, 3] as [UInt64])
    func replayRebuildsTheSameStoreAndPendingDeliveriesEveryTime(seed: UInt64) throws {
        let model = try DurableModel(seed: seed, segmentBytes: 64 << 10)
        defer { model.directory.remove() }
        for _ in 0..<3_000 { model.step() }
        model.close()
        #expect(model.inserted.count > 500 && model.deliveries.count > 0, "the sequence exercised little")
        #expect(model.writer.segments > 1, "the log spans several segments")

        let (first, recoveredFirst) = try model.recover()
        // Every batch sealed is read back.
        #expect(recoveredFirst.scan.lastSequence == model.journal.openSequence - 1)
        #expect(recoveredFirst.scan.batches == model.journal.sealedBatches,
                "\(model.journal.sealedBatches) batches sealed, \(recoveredFirst.scan.batches) replayed in \(recoveredFirst.scan.segments) segments \(model.directory.names.sorted())")
        expectSameRecords(first, as: model, "first replay")
        expectSameRest(recoveredFirst, as: model, ordered: true, "first replay")
        // Replaying the same files again (into an empty store, as at every start) gives the
        // same store: recovery reads, it does not consume.
        let (second, recoveredSecond) = try model.recover()
        expectSameRecords(second, as: model, "second replay")
        expectSameRest(recoveredSecond, as: model, ordered: true, "second replay")
        #expect(recoveredSecond.scan.batches == recoveredFirst.scan.batches)
    }

    @Test(arguments: [11, 12] as [UInt64])
    func compactionWhileRecordsKeepArrivingKeepsEverythingAndRemovesTheOldSegments(seed: UInt64) throws {
        let model = try DurableModel(seed: seed, segmentBytes: 16 << 10)
        defer { model.directory.remove() }
        // Enough work for several segments. How many steps that takes depends on how the writer
        // kept up (a writer that falls behind gets fewer, larger batches), so step until the
        // directory has them (bounded).
        var beforePass: UInt64 = 0
        var oldSegments: [UInt64] = []
        for round in 0..<20 where oldSegments.count < 3 {
            for _ in 0..<(round == 0 ? 1_500 : 500) { model.step() }
            beforePass = model.journal.seal(force: true) ?? model.journal.openSequence - 1
            #expect(model.writer.waitUntilDurable(beforePass, timeout: .seconds(30)))
            oldSegments = model.directory.segmentFirstSequences
        }
        #expect(oldSegments.count >= 3, "the pass should have several segments to remove")

        // The pass, a few records per turn, new work staged between the steps (as the loop
        // interleaves compactionStep with sessions and carrier outcomes).
        let journal = model.journal
        journal.beginCompaction()
        let passStart = journal.compactionStart
        #expect(passStart > oldSegments.last!)
        var cursor: Int? = 0
        var steps = 0
        while let from = cursor {
            cursor = model.store.forEachRecord(from: from, limit: 7) { journal.snapshot($0) }
            journal.seal()
            for _ in 0..<model.int(1...4) { model.step(insertsAndStatusOnly: steps % 2 == 0) }
            journal.seal()
            steps += 1
        }
        #expect(steps > 20, "the pass should span many turns")
        let passEnd = model.endCompactionPass()
        // Work after the pass, in the new segments only.
        for _ in 0..<200 { model.step() }
        #expect(model.writer.waitUntilDurable(passEnd, timeout: .seconds(30)))
        // The removal follows the pass's last batch on the writer thread: wait for it (bounded).
        let deadline = monotonicMillis() + 10_000
        while model.directory.segmentFirstSequences.first.map({ $0 < passStart }) ?? false && monotonicMillis() < deadline {
            usleep(1_000)
        }
        model.close()
        let remaining = model.directory.segmentFirstSequences
        #expect(remaining.first == passStart, "segments before the pass (\(oldSegments)) should be gone: \(remaining)")
        #expect(Set(remaining).isDisjoint(with: oldSegments))

        let (first, recovered) = try model.recover()
        #expect(recovered.scan.segments == remaining.count)
        expectSameRecords(first, as: model, "after compaction")
        // A receipt queued during the pass appears twice in the log (its status entry, the
        // pass's copy): order follows the log, not the queue; each once.
        expectSameRest(recovered, as: model, ordered: false, "after compaction")
        let (second, again) = try model.recover()
        expectSameRecords(second, as: model, "after compaction, second replay")
        expectSameRest(again, as: model, ordered: false, "after compaction, second replay")
    }

    @Test(arguments: [21, 22] as [UInt64])
    func aPassThatRemovesTheOlderHalfCopiesOnlyTheRecordsWrittenThere(seed: UInt64) throws {
        let model = try DurableModel(seed: seed, segmentBytes: 16 << 10)
        defer { model.directory.remove() }
        // Several segments, each durable (bounded, as in the whole-pass test above).
        var segments: [JournalSegment] = []
        for round in 0..<30 where segments.count < 6 {
            for _ in 0..<(round == 0 ? 1_500 : 500) { model.step() }
            let sealed = model.journal.seal(force: true) ?? model.journal.openSequence - 1
            #expect(model.writer.waitUntilDurable(sealed, timeout: .seconds(30)))
            segments = model.writer.segmentsInLog
        }
        #expect(segments.count >= 6, "the pass should have several segments to choose from: \(segments)")
        #expect(segments.map(\.firstSequence) == model.directory.segmentFirstSequences, "the writer publishes what is on disk")

        let cutoff = StoreJournal.halfLogCutoff(segments)
        let removed = segments.filter { $0.firstSequence < cutoff }.map(\.firstSequence)
        #expect(!removed.isEmpty && removed.count < segments.count - 1, "cut at \(cutoff) in \(segments)")
        let storedBefore = model.store.count
        let journal = model.journal
        journal.beginCompaction(removingSegmentsBefore: cutoff)
        #expect(journal.compactionCutoff == cutoff)
        var copied = 0
        var cursor: Int? = 0
        var steps = 0
        while let from = cursor {
            cursor = model.store.forEachRecord(from: from, visitLimit: 64, copyLimit: 5, basedBefore: cutoff,
                                               rebase: journal.openSequence) { copied += 1; journal.snapshot($0) }
            journal.seal()
            for _ in 0..<model.int(1...4) { model.step(insertsAndStatusOnly: steps % 2 == 0) }
            journal.seal()
            steps += 1
        }
        #expect(steps > 20, "the pass should span many turns")
        // Only the records whose copy was in the removed segments: the rest stay where they are.
        #expect(copied > 0 && copied < storedBefore, "\(copied) of \(storedBefore) records copied")
        let passEnd = model.endCompactionPass()
        for _ in 0..<200 { model.step() }
        #expect(model.writer.waitUntilDurable(passEnd, timeout: .seconds(30)))
        let deadline = monotonicMillis() + 10_000
        while model.writer.segmentsRemovedBefore < cutoff && monotonicMillis() < deadline { usleep(1_000) }
        model.close()
        let remaining = model.directory.segmentFirstSequences
        #expect(remaining.first == cutoff, "the segments before \(cutoff) (\(removed)) should be gone: \(remaining)")
        #expect(Set(remaining).isDisjoint(with: removed))

        let (first, recovered) = try model.recover()
        expectSameRecords(first, as: model, "after a pass over the older half")
        expectSameRest(recovered, as: model, ordered: false, "after a pass over the older half")
        let (second, again) = try model.recover()
        expectSameRecords(second, as: model, "after a pass over the older half, second replay")
        expectSameRest(again, as: model, ordered: false, "after a pass over the older half, second replay")
    }

    @Test func theCutLeavesTheNewerHalfAndNeverTheSegmentBeingWritten() {
        func log(_ sizes: [Int]) -> [JournalSegment] {
            var first: UInt64 = 1
            return sizes.map { size in defer { first += 100 }; return JournalSegment(firstSequence: first, bytes: size) }
        }
        #expect(StoreJournal.halfLogCutoff(log([64, 64, 64, 64])) == 201)       // two of four go
        #expect(StoreJournal.halfLogCutoff(log([64, 64, 64, 64, 64])) == 201)   // 128 of 320
        #expect(StoreJournal.halfLogCutoff(log([64, 64])) == 101)               // at least the oldest
        #expect(StoreJournal.halfLogCutoff(log([300, 10, 10, 10])) == 101)      // a large old one alone
        #expect(StoreJournal.halfLogCutoff(log([10, 10, 10, 300])) == 301)      // never the last
    }

    // MARK: restore and restoreStatus

    @Test func restoreAndRestoreStatusKeepTheStoreInvariants() {
        let store = MemoryMessageStore(configuration: MessageStoreConfiguration(capacity: 4, maximumValidityMillis: 60_000))
        var ids = MessageIDGenerator(startUnixMillis: testNow)
        func record(_ state: MessageState, final: Int64? = nil) -> MessageRecord {
            var r = makeRecord(ids.next(), validity: testNow + 10_000)
            r.state = state
            r.isForwarded = state != .enroute
            r.finalTime = state.isFinal ? (final ?? testNow + 1) : nil
            return r
        }
        let finals = [record(.delivered, final: testNow + 1), record(.expired, final: testNow + 2), record(.deleted, final: testNow + 3)]
        for r in finals { #expect(store.restore(r)); store.testsOnly_checkInvariants() }
        let live = record(.enroute)
        #expect(store.restore(live))
        store.testsOnly_checkInvariants()
        #expect(store.count == 4 && store.liveCount == 1)
        // At capacity the oldest final record makes room, as at insert.
        let accepted = record(.accepted)
        #expect(store.restore(accepted))
        store.testsOnly_checkInvariants()
        #expect(store.record(finals[0].id) == nil && store.count == 4 && store.liveCount == 2)
        // An upsert of a live record with its final state, then a logged change of another.
        var done = live
        done.state = .undeliverable
        done.finalTime = testNow + 5
        done.errorCode = 12
        #expect(store.restore(done))
        store.testsOnly_checkInvariants()
        #expect(store.record(live.id) == done && store.liveCount == 1)
        #expect(store.restoreStatus(accepted.id, state: .delivered, isForwarded: true, finalTime: testNow + 6, errorCode: 0))
        store.testsOnly_checkInvariants()
        #expect(store.liveCount == 0 && store.record(accepted.id)?.state == .delivered)
        // A logged change for an id no longer held is ignored.
        #expect(!store.restoreStatus(finals[0].id, state: .delivered, isForwarded: true, finalTime: testNow, errorCode: 0))
        // The expiry heap still works on restored records.
        let fresh = MemoryMessageStore(configuration: MessageStoreConfiguration(capacity: 2, maximumValidityMillis: 60_000))
        let a = record(.enroute), b = record(.accepted)
        #expect(fresh.restore(a) && fresh.restore(b))
        #expect(!fresh.restore(record(.enroute)), "every record live: nothing to evict")
        var expired: [MessageID] = []
        _ = fresh.expire(now: testNow + 20_000, limit: 10) { expired.append($0.id) }
        #expect(Set(expired) == [a.id, b.id])
        fresh.testsOnly_checkInvariants()
    }

    @Test func manyRestoredRecordsTurningFinalRebuildTheExpiryHeap() {
        // More stale heap entries than the slack: restoreStatus must compact like apply does.
        let count = MemoryMessageStore.compactionSlack + 2_000
        let store = MemoryMessageStore(configuration: MessageStoreConfiguration(capacity: count, maximumValidityMillis: 60_000))
        var ids = MessageIDGenerator(startUnixMillis: testNow)
        var all: [MessageID] = []
        for i in 0..<count {
            let r = makeRecord(ids.next(), validity: testNow + 10_000 + Int64(i))
            #expect(store.restore(r))
            all.append(r.id)
        }
        for id in all.dropLast(10) {
            store.restoreStatus(id, state: .delivered, isForwarded: true, finalTime: testNow + 1, errorCode: 0)
        }
        store.testsOnly_checkInvariants()
        #expect(store.liveCount == 10)
    }

    // MARK: pending receipts keyed by id and state

    /// Two ids issued 2^33 ms (about 99 days) apart differ only in their top 8 bits. Recovery
    /// keys pending receipts by `id << 8 | state`, which drops those bits: the two receipts
    /// become one, and acknowledging one of them forgets the other.
    @Test func pendingReceiptsOfIdsThatDifferOnlyInTheirTopBitsStayApart() throws {
        var early = MessageIDGenerator(startUnixMillis: testNow)
        var late = MessageIDGenerator(startUnixMillis: testNow + (1 << 33))
        let a = early.next(), b = late.next()
        #expect(a != b)
        let directory = JournalDirectory()
        defer { directory.remove() }
        let writer = JournalWriter(configuration: JournalConfiguration(directory: directory.path, fsync: .never, segmentBytes: 1 << 20),
                                   notify: {})
        try writer.start(firstSequence: 1)
        let journal = StoreJournal(writer: writer, nextSequence: 1)
        for id in [a, b] {
            var r = makeRecord(id, registeredDelivery: 1)
            r.validityDeadline = testNow + 60_000
            journal.insert(r)
            journal.status(id, state: .delivered, isForwarded: true, finalTime: testNow + 1, errorCode: 0, receiptQueued: true)
        }
        journal.receiptDone(b, state: .delivered)   // b's receipt acknowledged; a's still pending
        let last = journal.seal(force: true)!
        #expect(writer.waitUntilDurable(last, timeout: .seconds(20)))
        writer.stop()
        let store = MemoryMessageStore()
        let recovered = try StoreRecovery.recover(directory: directory.path, into: store)
        #expect(store.record(a) != nil && store.record(b) != nil)
        #expect(receiptKeys(recovered.pendingReceipts) == ["\(a)/\(MessageState.delivered)"],
                "a's receipt was lost with b's acknowledgement")
    }
}
