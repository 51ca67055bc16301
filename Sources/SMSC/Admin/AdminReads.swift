// The admin API's JSON reads (docs/admin-openapi.yaml): readiness, one message, the sessions,
// the accounts, and the counters the status page turns into rates. Loop thread only.
import Admin
import SMPP
import Store

extension SMSCServer {
    /// 200 when the TLS listener accepts and at least one carrier worker runs; 503 otherwise,
    /// saying which is missing.
    func readiness() -> AdminResponse {
        let workers = carrierWorkersRunning.count
        let ready = isAccepting && workers > 0
        return .json(ready ? 200 : 503, .object([
            ("ready", .bool(ready)),
            ("listening", .bool(isAccepting)),
            ("carrier_workers", .int(workers)),
        ]))
    }

    func messageJSON(_ r: MessageRecord) -> JSONOut {
        .object([
            ("id", .string(r.id.string(messages.adminIDFormat))),
            ("state", .string(r.state.description)),
            ("state_code", .int(Int(r.state.rawValue))),
            ("stat", .string(r.state.stat)),
            ("final", .bool(r.finalTime != nil)),
            ("submit_time_ms", .int(r.submitTime)),
            ("submit_time", .string(isoTime(r.submitTime))),
            ("final_time_ms", r.finalTime.map { .int($0) } ?? .null),
            ("final_time", r.finalTime.map { .string(isoTime($0)) } ?? .null),
            ("error_code", .int(Int(r.errorCode))),
            ("source", .string("+\(r.source.digits)")),
            ("destination", .string("+\(r.destination.digits)")),
            ("account", .string(r.systemID.description)),
            ("registered_delivery", .int(Int(r.registeredDelivery))),
        ])
    }

    func sessionsJSON() -> JSONOut {
        var out: [JSONOut] = []
        for s in sessionList {
            guard case .bound(let mode) = s.phase, let a = s.account else { continue }
            out.append(.object([
                ("id", .int(s.id)),
                ("system_id", .string(a.systemID)),
                ("mode", .string(mode.rawValue)),
                ("peer", .string(s.connection.peer)),
                ("since_ms", .int(s.boundAtMs)),
                ("since", .string(isoTime(s.boundAtMs))),
                ("pdus_in", .int(s.pdusIn)),
                ("pdus_out", .int(s.pdusOut)),
                ("window_in_use", .int(s.inFlight.count)),
                ("window", .int(mode.canReceive ? messages.settings.deliveryWindow : 0)),
            ]))
        }
        return .object([("sessions", .array(out))])
    }

    func accountsJSON() -> JSONOut {
        .object([("accounts", .array(accountList.map { a in
            .object([
                ("system_id", .string(a.systemID)),
                ("credits_left", messages.creditsLeft(a.systemID).map { .int($0) } ?? .null),
                ("submit_rate", .int(a.submitRate)),
                ("mo_rate", .double(a.moRate)),
                ("numbers", .array(a.numbers.map { .string($0) })),
                ("default_number", .optional(a.defaultNumber)),
                ("sessions", .int(boundSessions(of: a.systemID))),
                ("max_sessions", .int(a.maxSessions)),
                ("pending_deliver_sm", .int(messages.deliveries.count(for: ShortBytes(truncating: a.systemID.utf8)))),
            ])
        }))])
    }

    /// Running totals; the status page polls them and plots the differences as rates.
    func statsJSON() -> JSONOut {
        var submits: UInt64 = 0
        for (k, n) in metrics.pdusIn where [CommandID.submit_sm.rawValue, CommandID.data_sm.rawValue,
                                            CommandID.submit_multi.rawValue].contains(k.command) {
            submits &+= n
        }
        let errors = metrics.recentErrors.entries.reversed().map { e -> JSONOut in
            .object([
                ("time_ms", .int(e.atMs)),
                ("time", .string(isoTime(e.atMs))),
                ("command", .string(CommandID(rawValue: e.command).name)),
                ("status", .string(CommandStatus(rawValue: e.status).name)),
                ("system_id", .optional(e.systemID)),
                ("peer", .string(e.peer)),
            ])
        }
        return .object([
            ("time_ms", .int(loop.nowMilliseconds)),
            ("submits_total", .int(submits)),
            ("receipts_total", .int(metrics.receiptsSent)),
            ("mo_total", .int(metrics.moSent)),
            ("errors_total", .int(metrics.errorResponses)),
            ("accept_exhausted_total", .int(metrics.acceptExhausted.values.reduce(0, &+))),
            ("sessions_bound", .int(boundSessionsByMode.values.reduce(0, +))),
            ("connections", .int(sessionCount)),
            ("queues", .object([
                ("submission", .int(messages.submissionQueueDepth)),
                ("completion", .int(messages.eventQueueDepth)),
                ("deliver_sm_pending", .int(messages.pendingDeliveriesTotal)),
            ])),
            ("store", .object(storeStats)),
            ("upstream", carriersJSON()),
            ("last_errors", .array(errors)),
        ] + (clusterJSON().map { [("cluster", $0)] } ?? []))
    }
}

/// Unix ms as RFC 3339 UTC, e.g. 2026-01-02T03:04:05.678Z.
func isoTime(_ ms: Int64) -> String {
    let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
    let c = CivilDateTime(unixSeconds: seconds)
    func pad(_ v: Int, _ w: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, w - s.count)) + s
    }
    return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2)).\(pad(Int(ms - seconds * 1000), 3))Z"
}

extension SMSCServer {
    /// The store's part of /v1/stats: where message state lives and, in durable mode, the
    /// journal's state.
    var storeStats: [(String, JSONOut)] {
        var out: [(String, JSONOut)] = [
            ("kind", .string(messages.journalMetrics == nil ? "memory" : "journal")),
            ("records", .int(messages.store.count)),
            ("capacity", .int(messages.storeCapacity)),
        ]
        if let j = messages.journalMetrics {
            out += [("journal_bytes", .int(j.bytes)), ("journal_segments", .int(j.segments)),
                    ("segments_recycled_total", .int(j.recycled)),
                    ("commits_total", .int(j.batches)), ("syncs_total", .int(j.syncs)),
                    ("compactions_total", .int(j.compactions)), ("errors_total", .int(j.errors)),
                    ("failing", .bool(j.failing))]
        }
        return out
    }
}
