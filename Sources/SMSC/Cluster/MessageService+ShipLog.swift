// Surviving the loss of a machine (issue 15, `cluster.ship-log`): the messaging service's side
// of log shipping. Each batch of the journal, once durable on the local disk, is copied (one
// copy per batch, from the writer's hand-back) to the node's stream in Redis (LogShipper); a
// response that acknowledges a change waits for its batch to be there too, while the shipper
// is connected and not behind. Compaction passes move the stream's base and trim it.
// At start, the pending work recovery found waits until Redis says whether another node took
// this node's work over while it was away (`cluster-taken-over-before`): what came from the
// batches it adopted is dropped here, so no message gets a second outcome.
// The takeover of other nodes' logs is SMSC/Cluster/Takeover.swift.
// Loop thread only. Where each piece survives a kill -9: the batches in the journal (and in
// the stream, up to what Redis confirmed); the held work in the journal (it is recovered
// again); the taken-over marker in Redis until the node dropped what it covered, durably.
import Admin
import Cluster
import Journal
import Logging
import Reactor
import Store

/// The newest batches recovery read, framed, up to LogShipper.backlogCapBytes: what the node
/// ships again at start if the stream lacks them.
final class RecoveredTail {
    private(set) var batches: [(sequence: UInt64, bytes: [UInt8])] = []
    private var head = 0
    private var bytes = 0

    func add(_ sequence: UInt64, _ framed: ArraySlice<UInt8>) {
        batches.append((sequence, Array(framed)))
        bytes += framed.count
        while bytes > LogShipper.backlogCapBytes, head < batches.count {
            bytes -= batches[head].bytes.count
            batches[head].bytes = []
            head += 1
        }
        if head > 1024 && head * 2 > batches.count {
            batches.removeFirst(head)
            head = 0
        }
    }

    /// The batches kept, oldest first.
    var kept: [(sequence: UInt64, bytes: [UInt8])] { Array(batches[head...]) }
}

/// Log shipping's parts, owned by DurableState.
final class ShipLogState {
    let shipper: LogShipper
    var takeover: LogTakeover?
    /// Recovered work waiting for the arrival check (nil once resumed).
    var held: (recovered: RecoveredStore, upstream: Set<UInt64>)?
    var arrivalTimer: LoopTimer?
    var arrivalWaitLogged = false
    /// Runs once the local journal is durable through `batch`.
    var afterDurable: [(batch: UInt64, run: () -> Void)] = []

    init(shipper: LogShipper) {
        self.shipper = shipper
    }
}

extension MessageService {
    /// openJournal's part in ship-log mode: the shipper starts (with the newest recovered
    /// batches to ship if the stream lacks them), the takeover watch starts, and the
    /// recovered work waits for the arrival check.
    func startShipLog(_ state: DurableState, recovered: RecoveredStore, tail: RecoveredTail, upstream: Set<UInt64>) {
        guard let cluster else { return }
        let shipper = LogShipper(loop: loop, settings: cluster.coordinator.settings)
        let ship = ShipLogState(shipper: shipper)
        state.shipLog = ship
        ship.held = (recovered, upstream)
        shipper.onProgress = { [unowned self] in
            if let durable = self.durable { self.releaseGate(durable) }
        }
        shipper.onBehind = { [unowned self, logger] why in
            logger.warning("cluster-log-behind", metadata: [
                "node": "\(shipper.settings.node)", "reason": "\(why)",
                "effect": "batches are not shipped until the next compaction pass is in Redis whole; until then a takeover of this node would adopt only the older copy, and responses wait for the local disk only",
            ])
            self.durable?.compactionWanted = true
        }
        var unreplicatedLog = RateLimitedLog(intervalMs: 10_000)
        shipper.onUnreplicated = { [unowned self, logger] replicas in
            guard unreplicatedLog.admit(nowMs: self.loop.nowMilliseconds) != nil else { return }
            logger.warning("cluster-log-unreplicated", metadata: [
                "replicas": "\(replicas)", "wanted": "\(shipper.settings.shipWaitReplicas)",
                "effect": "shipped batches count as in Redis on the primary's word alone; a failover now may lose the newest"])
        }
        shipper.onCaughtUp = { [logger] base in
            logger.info("cluster-log-based", metadata: ["node": "\(shipper.settings.node)", "base": "\(base)"])
        }
        shipper.start(recoveredThrough: recovered.scan.lastSequence, tail: tail.kept)
        ship.takeover = LogTakeover(service: self, shipper: shipper, logger: logger)
        checkArrival(ship)
    }

    /// The writer's hand-back: each durable batch copied for the shipper, then recycled.
    func shipDurableBatches(_ durable: DurableState, _ ship: ShipLogState) {
        let writer = durable.journal.writer
        if writer.takeDurableOverflow() { ship.shipper.lostBatches() }
        while let batch = writer.takeDurable() {
            ship.shipper.add(sequence: batch.sequence, bytes: batch.bytes)
            writer.recycle(batch)
        }
        if !ship.afterDurable.isEmpty {
            let through = durable.journal.durableSequence
            let due = ship.afterDurable.filter { $0.batch <= through }
            ship.afterDurable.removeAll { $0.batch <= through }
            for d in due { d.run() }
        }
    }

    /// Output waiting for batches is released through what is durable, and in ship-log mode
    /// (while the shipper is connected and not behind) also in Redis.
    func releaseGate(_ durable: DurableState) {
        var through = durable.journal.durableSequence
        if let shipper = durable.shipLog?.shipper, shipper.gatesAcknowledgements {
            through = min(through, shipper.confirmedThrough)
        }
        durable.gate.release(through: through)
    }

    /// Runs `body` once the local journal is durable through what is staged now.
    func afterStagedIsDurable(_ body: @escaping () -> Void) {
        guard let durable, let ship = durable.shipLog, durable.journal.durableSequence < durable.journal.requiredCommit else {
            return body()
        }
        ship.afterDurable.append((durable.journal.requiredCommit, body))
    }

    // MARK: Arrival

    /// Asks Redis whether this node's work was taken over while it was down; resumes the held
    /// work accordingly. Retried every 250 ms until Redis answers and no takeover is running.
    private func checkArrival(_ ship: ShipLogState) {
        ship.shipper.checkArrival { [weak self] arrival in
            guard let self, let durable = self.durable, let held = ship.held else { return }
            switch arrival {
            case .busy, .unavailable:
                if !ship.arrivalWaitLogged && arrival == .busy {
                    ship.arrivalWaitLogged = true
                    self.logger.notice("cluster-takeover-running", metadata: [
                        "node": "\(ship.shipper.settings.node)",
                        "note": "another node is taking this node's log over; its recovered deliveries wait for the outcome"])
                }
                let t = ship.arrivalTimer ?? LoopTimer(loop: self.loop) { [weak self] in self?.checkArrival(ship) }
                ship.arrivalTimer = t
                t.schedule(after: .milliseconds(250))
            case .own:
                ship.held = nil
                self.resumePending(held.recovered, durable, upstream: held.upstream, takenOverThrough: 0)
            case .takenOver(let through, let by):
                ship.held = nil
                let dropped = self.resumePending(held.recovered, durable, upstream: held.upstream, takenOverThrough: through)
                self.logger.notice("cluster-taken-over-before", metadata: [
                    "by": "\(by)", "through_batch": "\(through)", "dropped_receipts": "\(dropped.receipts)",
                    "dropped_mo": "\(dropped.mo)", "non_final_marked_unknown": "\(dropped.nonFinal)",
                    "note": "node \(by) adopted this node's pending work while it was down; records are kept for query_sm",
                ])
                self.afterStagedIsDurable { ship.shipper.clearTakenOver() }
            }
        }
    }

    func stopShipLog() {
        guard let ship = durable?.shipLog else { return }
        ship.arrivalTimer?.cancel()
        ship.takeover?.stop()
        ship.shipper.stop()
    }
}

extension MessageService {
    /// /metrics in ship-log mode (nothing without it).
    func shipLogMetrics(_ p: inout PrometheusText, labels: [(String, String)]) {
        guard let ship = durable?.shipLog else { return }
        let s = ship.shipper
        p.counter("smppd_cluster_log_shipped_batches_total", help: "Journal batches added to this node's log stream in Redis.",
                  samples: [(labels, Double(s.shippedBatches))])
        p.counter("smppd_cluster_log_shipped_bytes_total", help: "Bytes of those batches.",
                  samples: [(labels, Double(s.shippedBytes))])
        p.gauge("smppd_cluster_log_confirmed_batch", help: "The last journal batch Redis holds (responses wait for it while shipping is healthy).",
                samples: [(labels, Double(s.confirmedThrough))])
        p.gauge("smppd_cluster_log_backlog_bytes", help: "Bytes of durable batches not yet confirmed by Redis.",
                samples: [(labels, Double(s.backlogBytes))])
        p.gauge("smppd_cluster_log_behind", help: "1 while the log stream is not a complete copy (waiting for a compaction pass).",
                samples: [(labels, s.isBehind ? 1 : 0)])
        p.counter("smppd_cluster_takeovers_total", help: "Lost nodes whose work this node took over.",
                  samples: [(labels, Double(ship.takeover?.completed ?? 0))])
    }
}
