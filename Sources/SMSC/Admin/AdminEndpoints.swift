// The admin HTTP endpoints (docs/admin-openapi.yaml): routing, /metrics, MO injection and
// forced message states; the JSON reads are in AdminReads.swift. The Admin module moves requests to the loop thread; everything here runs on
// it and may touch sessions, the store and the metrics directly.
import Admin
import SMPP
import Store

extension SMSCServer {
    /// Answers one admin request (loop thread).
    public func handleAdmin(_ request: AdminRequest) -> AdminResponse {
        switch AdminRoute.match(method: request.method, path: request.path) {
        case .statusPage:
            return .text(200, AdminStatusPage.html, contentType: "text/html; charset=utf-8")
        case .health:
            return .json(200, .object([("status", .string("ok"))]))
        case .ready:
            return readiness()
        case .metrics:
            return .text(200, metricsText())
        case .openAPI:
            return .text(200, AdminOpenAPI.yaml, contentType: "application/yaml; charset=utf-8")
        case .stats:
            return .json(200, statsJSON())
        case .sessions:
            return .json(200, sessionsJSON())
        case .accounts:
            return .json(200, accountsJSON())
        case .message(let id):
            guard let r = messages.adminRecord(id) else {
                return .json(404, ["error": "unknown message_id", "field": "message_id"])
            }
            return .json(200, messageJSON(r))
        case .injectMO:
            return injectMO(request.body)
        case .messageState(let id):
            return forceState(id: id, body: request.body)
        case .receipts:
            return postReceipt(request.body)
        case .carriers:
            return .json(200, carriersJSON())
        case .methodNotAllowed(let allow):
            var r = AdminResponse.json(405, ["error": "method not allowed; this path takes \(allow)"])
            r.allow = allow
            return r
        case .notFound:
            return .json(404, ["error": "no such endpoint"])
        }
    }

    /// The body's object, or the 400 answer: not JSON, or a key the endpoint does not take
    /// (a misspelt optional field would otherwise be ignored without a word).
    func parseBody(_ body: [UInt8], keys: Set<String>) -> Result<[String: JSONValue], AdminFailure> {
        switch AdminJSON.parseObject(body) {
        case .success(let o):
            if let unknown = o.keys.sorted().first(where: { !keys.contains($0) }) {
                return .failure(AdminFailure(.json(400, ["error": "unknown field (known: \(keys.sorted().joined(separator: ", ")))",
                                                         "field": unknown])))
            }
            return .success(o)
        case .failure(let e): return .failure(AdminFailure(.json(400, ["error": "\(e)", "field": "body"])))
        }
    }

    private func injectMO(_ body: [UInt8]) -> AdminResponse {
        let object: [String: JSONValue]
        switch parseBody(body, keys: ["system_id", "source", "destination", "text", "data_coding"]) {
        case .success(let o): object = o
        case .failure(let f): return f.response
        }
        guard case .string(let systemID)? = object["system_id"] else {
            return .json(400, ["error": "system_id is required (a string)", "field": "system_id"])
        }
        guard let account = account(systemID) else {
            return .json(404, ["error": "unknown system_id", "field": "system_id"])
        }
        guard case .string(let source)? = object["source"], let src = E164.parse(source) else {
            return .json(400, ["error": "source must be an E.164 number", "field": "source"])
        }
        var destinationText = account.defaultNumber
        if let d = object["destination"] {
            guard case .string(let s) = d else { return .json(400, ["error": "destination must be a string", "field": "destination"]) }
            destinationText = s
        }
        guard let destinationText, let dst = E164.parse(destinationText) else {
            return .json(400, ["error": "destination must be an E.164 number (the account has no default number)", "field": "destination"])
        }
        guard case .string(let text)? = object["text"] else {
            return .json(400, ["error": "text is required (a string)", "field": "text"])
        }
        var coding = DataCoding.narrowestCoding(for: text)
        if let c = object["data_coding"] {
            guard case .number(let n) = c, n >= 0, n <= 255, n == n.rounded() else {
                return .json(400, ["error": "data_coding must be 0, 1, 3 or 8", "field": "data_coding"])
            }
            coding = DataCoding(rawValue: UInt8(n))
            guard coding.isSupported else { return .json(400, ["error": "data_coding must be 0, 1, 3 or 8", "field": "data_coding"]) }
        }
        guard case .success(let bytes) = coding.encode(text) else {
            return .json(400, ["error": "text cannot be written in data_coding \(coding.rawValue)", "field": "text"])
        }
        guard bytes.count <= 254 else {
            return .json(400, ["error": "text longer than one short_message (254 octets)", "field": "text"])
        }
        switch messages.injectMO(account: account, source: StoredAddress(src.digits), destination: StoredAddress(dst.digits),
                                 coding: coding, text: bytes) {
        case .queued(let id):
            var response = AdminResponse.json(202, ["id": id])
            response.durableBatch = messages.requiredJournalBatch   // 202 only once the MO is on disk
            return response
        case .queueFull:
            return .json(503, ["error": "not queued: the account's deliver_sm queue is full (delivery.queue-max)",
                               "reason": "queue-full"])
        case .storeFailing:
            return .json(503, ["error": "not queued: the message store cannot write (see event=store-error in the log)",
                               "reason": "store-failing"])
        }
    }

    private func forceState(id: String, body: [UInt8]) -> AdminResponse {
        let report: (state: MessageState, errorCode: UInt16)
        switch parseBody(body, keys: ["state", "err"]).flatMap(stateReport) {
        case .success(let r): report = r
        case .failure(let f): return f.response
        }
        return forced(id, report)
    }

    /// The `state` and `err` of a forced state or a receipt, or the 400 answer.
    func stateReport(_ object: [String: JSONValue]) -> Result<(state: MessageState, errorCode: UInt16), AdminFailure> {
        guard case .string(let stat)? = object["state"], let state = MessageState(stat: stat), state != .enroute else {
            return .failure(AdminFailure(.json(400, ["error": "state must be one of DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, UNKNOWN, ACCEPTD",
                                                     "field": "state"])))
        }
        var errorCode: UInt16 = 0
        if let e = object["err"] {
            switch e {
            case .string(let s) where s.utf8.count == 3 && s.utf8.allSatisfy({ (0x30...0x39).contains($0) }): errorCode = UInt16(s)!
            case .number(let n) where n >= 0 && n <= 999 && n == n.rounded(): errorCode = UInt16(n)
            default: return .failure(AdminFailure(.json(400, ["error": "err must be 3 digits (or a number 0…999)", "field": "err"])))
            }
        }
        return .success((state, errorCode))
    }

    /// Forces message `id` (our id's text) into the reported state: 200 once durable, 404, 409,
    /// or 503 while the journal cannot write.
    func forced(_ id: String, _ report: (state: MessageState, errorCode: UInt16)) -> AdminResponse {
        if messages.journalIsFailing {
            return .json(503, ["error": "the message store cannot write (see event=store-error in the log); nothing was changed",
                               "reason": "store-failing"])
        }
        switch messages.force(id, state: report.state, errorCode: report.errorCode) {
        case .done(let r):
            var response = AdminResponse.json(200, ["id": id, "state": r.state.stat])
            response.durableBatch = messages.requiredJournalBatch   // answered once the state is on disk
            return response
        case .notFound: return .json(404, ["error": "unknown message_id", "field": "message_id"])
        case .alreadyFinal: return .json(409, ["error": "already final"])
        }
    }

    /// Prometheus text for GET /metrics (C-OPS-2).
    func metricsText() -> String {
        var p = PrometheusText()
        let bound = boundSessionsByMode
        p.gauge("smppd_sessions", help: "Bound SMPP sessions by bind mode.",
                samples: BindMode.allCases.map { ([("mode", $0.rawValue)], Double(bound[$0, default: 0])) })
        p.gauge("smppd_connections", help: "Open connections, bound or not.", samples: [([], Double(sessionCount))])
        p.counter("smppd_pdus_in_total", help: "PDUs received, by command and command_status.",
                  samples: metrics.pdusIn.sorted { ($0.key.command, $0.key.status) < ($1.key.command, $1.key.status) }.map {
                      ([("command", CommandID(rawValue: $0.key.command).name), ("status", CommandStatus(rawValue: $0.key.status).name)], Double($0.value))
                  })
        p.counter("smppd_pdus_out_total", help: "PDUs sent, by command and command_status.",
                  samples: metrics.pdusOut.sorted { ($0.key.command, $0.key.status) < ($1.key.command, $1.key.status) }.map {
                      ([("command", CommandID(rawValue: $0.key.command).name), ("status", CommandStatus(rawValue: $0.key.status).name)], Double($0.value))
                  })
        for (name, help, h) in [("smppd_submit_resp_latency_seconds", "Time from reading a submit_sm (the read that brought it) to writing its submit_sm_resp.", metrics.submitResp),
                                ("smppd_submit_receipt_latency_seconds", "Time from submit_sm to the acknowledged delivery receipt.", metrics.submitReceipt)] {
            p.histogram(name, help: help, buckets: LatencyHistogram.bounds, cumulativeCounts: h.counts, sum: h.sum, count: h.count)
        }
        p.gauge("smppd_queue_depth", help: "Items in the carrier queues.",
                samples: [([("queue", "submission")], Double(messages.submissionQueueDepth)),
                          ([("queue", "completion")], Double(messages.eventQueueDepth))])
        let accounts = accountList
        p.gauge("smppd_pending_deliver_sm", help: "deliver_sm waiting or unanswered, by account.",
                samples: accounts.map { ([("system_id", $0.systemID)], Double(messages.deliveries.count(for: ShortBytes(truncating: $0.systemID.utf8)))) })
        p.gauge("smppd_credits_remaining", help: "Credits left, by account (unlimited accounts omitted).",
                samples: accounts.compactMap { a in messages.creditsLeft(a.systemID).map { ([("system_id", a.systemID)], Double($0)) } })
        p.gauge("smppd_messages_stored", help: "Message records in the store.", samples: [([], Double(messages.store.count))])
        if let journal = messages.journalMetrics {
            p.gauge("smppd_store_journal_bytes", help: "Bytes the journal takes on disk: the log's segments and the spares kept to be written over (pre-allocated).",
                    samples: [([], Double(journal.bytes))])
            p.gauge("smppd_store_journal_segments", help: "Journal segment files in the log.", samples: [([], Double(journal.segments))])
            p.counter("smppd_store_segments_recycled_total", help: "Journal segments made by writing over a spare instead of a new file.",
                      samples: [([], Double(journal.recycled))])
            p.counter("smppd_store_batches_total", help: "Batches (group commits) handed to the journal writer.",
                      samples: [([], Double(journal.batches))])
            p.counter("smppd_store_syncs_total", help: "fdatasync calls made by the journal writer.", samples: [([], Double(journal.syncs))])
            p.counter("smppd_store_compactions_total", help: "Compaction passes completed.", samples: [([], Double(journal.compactions))])
            p.counter("smppd_store_errors_total", help: "Journal writes or syncs that failed (each is retried until it succeeds).",
                      samples: [([], Double(journal.errors))])
            p.gauge("smppd_store_failing", help: "1 while the journal cannot write (new messages are refused).",
                    samples: [([], journal.failing ? 1 : 0)])
            p.gauge("smppd_store_output_waiting", help: "Connections whose output waits for a commit.",
                    samples: [([], Double(journal.waitingConnections))])
        }
        upstreamMetrics(&p)
        clusterMetrics(&p)
        p.counter("smppd_deliver_sm_sent_total", help: "deliver_sm written, by kind.",
                  samples: [([("kind", "receipt")], Double(metrics.receiptsSent)), ([("kind", "mo")], Double(metrics.moSent))])
        p.counter("smppd_error_responses_total", help: "Responses sent with a non-zero command_status.",
                  samples: [([], Double(metrics.errorResponses))])
        p.counter("smppd_accept_exhausted_total",
                  help: "accept() failures for lack of file descriptors (EMFILE, ENFILE) or memory, by errno.",
                  samples: ["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM"].map { ([("errno", $0)], Double(metrics.acceptExhausted[$0, default: 0])) })
        p.counter("smppd_proxy_header_invalid_total",
                  help: "Connections from a proxy-protocol-from balancer closed for a missing or invalid PROXY v2 header.",
                  samples: [([], Double(metrics.proxyHeaderInvalid))])
        return p.text
    }
}

/// A finished error answer carried through a Result.
struct AdminFailure: Error {
    let response: AdminResponse
    init(_ response: AdminResponse) { self.response = response }
}
