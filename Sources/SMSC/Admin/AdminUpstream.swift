// The admin API's side of forwarding (issue 12): receipts from an HTTP SMS service
// (POST /v1/receipts, by the service's id or ours), the carriers' state (GET /v1/carriers, also
// in /v1/stats and the status page) and their metrics. Loop thread.
import Admin
import SMPP
import Store
import Upstream

extension SMSCServer {
    func postReceipt(_ body: [UInt8]) -> AdminResponse {
        let object: [String: JSONValue]
        let report: (state: MessageState, errorCode: UInt16)
        switch parseBody(body, keys: ["message_id", "upstream_id", "carrier", "state", "err"]) {
        case .success(let o): object = o
        case .failure(let f): return f.response
        }
        switch stateReport(object) {
        case .success(let r): report = r
        case .failure(let f): return f.response
        }
        switch (object["message_id"], object["upstream_id"]) {
        case (.string(let ours)?, nil):
            guard object["carrier"] == nil else {
                return .json(400, ["error": "carrier goes with upstream_id, not message_id", "field": "carrier"])
            }
            return forced(ours, report)
        case (nil, .string(let theirs)?):
            var carrierName: String? = nil
            if let c = object["carrier"] {
                guard case .string(let name) = c else { return .json(400, ["error": "carrier must be a string", "field": "carrier"]) }
                carrierName = name
            }
            if messages.journalIsFailing {
                return .json(503, ["error": "the message store cannot write (see event=store-error in the log); nothing was changed",
                                   "reason": "store-failing"])
            }
            switch messages.upstreamReceipt(upstreamID: theirs, carrier: carrierName, state: report.state, errorCode: report.errorCode) {
            case .applied(let ours):
                var response = AdminResponse.json(200, ["id": ours, "state": report.state.stat])
                response.durableBatch = messages.requiredJournalBatch   // answered once the state is on disk
                return response
            case .unknownCarrier:
                return .json(404, ["error": "no carrier of that name", "field": "carrier"])
            case .unknownID:
                return .json(404, ["error": "no message awaits a receipt under that upstream_id: unknown, or its message is final already (a receipt can also overtake the answer that names the id, by milliseconds)",
                                   "field": "upstream_id"])
            }
        default:
            return .json(400, ["error": "give message_id (ours) or upstream_id (the service's), as a string", "field": "message_id"])
        }
    }

    /// The carriers: the simulator, then each `[[carrier]]` with its counters.
    func carriersJSON() -> JSONOut {
        var list: [JSONOut] = [.object([
            ("name", .string(CarrierDefinition.simulatorName)), ("kind", .string("simulator")), ("available", .bool(true)),
            ("circuit", .string(CircuitState.closed.rawValue)), ("queued", .int(UInt64(messages.submissionQueueDepth))),
        ])]
        for c in messages.forwarding?.carriers ?? [] {
            let s = c.stats
            let average = s.answerLatencyCount == 0 ? 0 : Double(s.answerLatencySumMicros) / Double(s.answerLatencyCount) / 1000
            list.append(.object([
                ("name", .string(c.name)), ("kind", .string(c.kind)), ("available", .bool(c.isAvailable)),
                ("circuit", .string(s.circuit.rawValue)), ("connections", .int(UInt64(s.connections))),
                ("in_flight", .int(UInt64(s.inFlight))), ("queued", .int(UInt64(s.queued))),
                ("accepted_total", .int(s.accepted)), ("refused_total", .int(s.refused)), ("retries_total", .int(s.retries)),
                ("receipts_total", .int(s.receipts)), ("mo_total", .int(s.mobileOriginated)),
                ("answer_latency_avg_ms", .double(average)),
            ]))
        }
        let f = messages.forwarding
        return .object([
            ("carriers", .array(list)),
            ("parked", .int(UInt64(f?.parkedCount ?? 0))),
            ("awaiting_commit", .int(UInt64(f?.awaitingCommitCount ?? 0))),
            ("unanswered", .int(UInt64(f?.unanswered.count ?? 0))),
            ("awaiting_receipt", .int(UInt64(f?.awaitingReceiptCount ?? 0))),
            ("failovers_total", .int(f?.failovers ?? 0)),
            ("unknown_receipts_total", .int(f?.unknownReceipts ?? 0)),
        ])
    }

    func upstreamMetrics(_ p: inout PrometheusText) {
        guard let f = messages.forwarding, !f.carriers.isEmpty else { return }
        let stats = f.carriers.map { ($0.name, $0.stats) }
        func samples(_ value: (UpstreamCarrierStats) -> Double) -> [([(String, String)], Double)] {
            stats.map { ([("carrier", $0.0)], value($0.1)) }
        }
        p.gauge("smppd_upstream_in_flight", help: "Messages sent to the carrier and not answered yet.", samples: samples { Double($0.inFlight) })
        p.gauge("smppd_upstream_queued", help: "Messages waiting inside the carrier (window, batch, retry).", samples: samples { Double($0.queued) })
        p.gauge("smppd_upstream_connections", help: "SMPP sessions bound / HTTP requests open.", samples: samples { Double($0.connections) })
        p.counter("smppd_upstream_messages_total", help: "Messages the carrier's service answered, by result.",
                  samples: stats.flatMap { [([("carrier", $0.0), ("result", "accepted")], Double($0.1.accepted)),
                                            ([("carrier", $0.0), ("result", "refused")], Double($0.1.refused))] })
        p.counter("smppd_upstream_retries_total", help: "Sends retried (5xx, timeouts, connection errors, throttling).", samples: samples { Double($0.retries) })
        p.counter("smppd_upstream_receipts_total", help: "Receipts received from the service.", samples: samples { Double($0.receipts) })
        p.counter("smppd_upstream_mo_total", help: "MO received from the service.", samples: samples { Double($0.mobileOriginated) })
        p.counter("smppd_upstream_answer_latency_seconds_sum", help: "Sum of the times from sending a message to the service's answer.",
                  samples: samples { Double($0.answerLatencySumMicros) / 1e6 })
        p.counter("smppd_upstream_answer_latency_seconds_count", help: "Answers timed.", samples: samples { Double($0.answerLatencyCount) })
        p.gauge("smppd_upstream_circuit", help: "The carrier's circuit breaker: 1 for its current state.",
                samples: stats.flatMap { s in [CircuitState.closed, .open, .halfOpen].map { ([("carrier", s.0), ("state", $0.rawValue)], s.1.circuit == $0 ? 1 : 0) } })
        p.gauge("smppd_upstream_parked", help: "Messages no carrier of their route can take now.", samples: [([], Double(f.parkedCount))])
        p.counter("smppd_upstream_failovers_total", help: "Messages sent to a carrier after the route's first.", samples: [([], Double(f.failovers))])
        p.counter("smppd_upstream_unknown_receipts_total", help: "Receipts naming an upstream id no message awaits.",
                  samples: [([], Double(f.unknownReceipts))])
        p.counter("smppd_upstream_accepted_without_id_total",
                  help: "Messages a service accepted without naming an id: no receipt can find them (they end at their validity).",
                  samples: [([], Double(f.acceptedWithoutID))])
    }
}

extension MessageService {
    enum UpstreamReceiptResult { case applied(String), unknownCarrier, unknownID }

    /// A receipt for the service's `upstreamID` (at carrier `carrier`, or at any).
    func upstreamReceipt(upstreamID: String, carrier: String?, state: MessageState, errorCode: UInt16) -> UpstreamReceiptResult {
        guard let forwarding else { return carrier == nil ? .unknownID : .unknownCarrier }
        let id: UInt64?
        if let carrier {
            guard let c = forwarding.index(ofCarrierNamed: carrier) else { return .unknownCarrier }
            id = forwarding.messageID(carrier: c, upstreamID: UpstreamID(upstreamID), final: state.isFinal)
        } else {
            id = forwarding.messageID(upstreamID: UpstreamID(upstreamID), final: state.isFinal)
        }
        guard let id else { return .unknownID }
        applyUpstreamState(id, state: state, errorCode: errorCode)
        return .applied(MessageID(rawValue: id).string(settings.idFormat))
    }
}
