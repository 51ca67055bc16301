// Wiring of the `[[carrier]]` sections (issue 12): each definition becomes its carrier, with
// its events written to the log. The SMSC decides what the carriers' answers mean.
import Logging
import Reactor
import SMSC
import Store
import Upstream

enum Carriers {
    /// The factory SMSCServer.enableForwarding calls per `[[carrier]]` (nil: the simulator,
    /// which is the worker pool). A TLS setting that cannot be loaded stops start-up.
    static func factory(logger: Logger, idFormat: MessageIDFormat) -> (CarrierDefinition, EventLoop) throws(RouteError) -> UpstreamCarrier? {
        return { def, loop throws(RouteError) in
            switch def.kind {
            case .simulator:
                return nil
            case .smpp(var settings):
                // The certificate is checked against the name as configured, not the address.
                if settings.tlsServerName == nil { settings.tlsServerName = settings.host }
                // Looked up once, here: a connect on the loop must not wait for DNS.
                do {
                    settings.host = try Endpoint(host: settings.host, port: UInt16(clamping: settings.port)).resolved().host
                } catch {
                    throw RouteError(key: "carrier (\(def.name)).host", problem: "\(error)")
                }
                let tls: TLSClientContext?
                do {
                    tls = try SMPPUpstream.makeTLSContext(settings)
                } catch {
                    throw RouteError(key: "carrier (\(def.name)).ca-file", problem: "\(error)")
                }
                let carrier = SMPPUpstream(name: def.name, settings: settings, loop: loop, tls: tls)
                carrier.onEvent = { event in log(event, carrier: def.name, logger: logger) }
                return carrier
            case .http(let settings):
                let carrier: HTTPUpstream
                do {
                    carrier = try HTTPUpstream(name: def.name, settings: settings, loop: loop, ids: idText(idFormat))
                } catch {
                    throw RouteError(key: "carrier (\(def.name))", problem: "\(error)")
                }
                let limiter = FailureLogLimiter()
                carrier.onEvent = { event in log(event, carrier: def.name, logger: logger, limiter: limiter) }
                return carrier
            }
        }
    }

    /// At most one `upstream-request-failed` line a second per carrier: a service that is down
    /// fails every retry of every batch. The lines left out are counted on the next one.
    final class FailureLogLimiter {
        private var lastLogged: ContinuousClock.Instant?
        private var suppressed = 0

        /// Whether to log now; `suppressed` is how many were left out since the last line.
        func admit() -> (log: Bool, suppressed: Int) {
            let now = ContinuousClock.now
            if let last = lastLogged, now - last < .seconds(1) {
                suppressed += 1
                return (false, 0)
            }
            lastLogged = now
            defer { suppressed = 0 }
            return (true, suppressed)
        }
    }

    private static func log(_ event: HTTPUpstreamEvent, carrier: String, logger: Logger, limiter: FailureLogLimiter) {
        switch event {
        case .circuitOpened(let failures): logCircuit(.open, failures: failures, carrier: carrier, logger: logger)
        case .circuitHalfOpen: logCircuit(.halfOpen, failures: nil, carrier: carrier, logger: logger)
        case .circuitClosed: logCircuit(.closed, failures: nil, carrier: carrier, logger: logger)
        case .requestFailed(let reason):
            let (log, suppressed) = limiter.admit()
            guard log else { return }
            var m: Logger.Metadata = ["carrier": "\(carrier)", "reason": "\(reason)"]
            if suppressed > 0 { m["not_logged_since"] = "\(suppressed)" }
            logger.warning("upstream-request-failed", metadata: m)
        }
    }

    /// Our ids as clients see them (messages.id-format), for the HTTP carrier's requests.
    static func idText(_ format: MessageIDFormat) -> MessageIDText {
        MessageIDText(write: { id, out in
                          // Rendered in place at the end of the body: no text value in between.
                          let start = out.count
                          out.append(contentsOf: repeatElement(0, count: format.maximumLength))
                          if case .written(let n) = MessageID(rawValue: id).render(format, into: &out[start...]) {
                              out.removeLast(format.maximumLength - n)
                          }
                      },
                      parse: { text in text.withUnsafeBytes { MessageID(parsing: $0, format: format)?.rawValue } })
    }

    /// Both carriers' circuit changes, logged the same way.
    private static func logCircuit(_ state: CircuitState, failures: Int?, carrier: String, logger: Logger) {
        var m: Logger.Metadata = ["carrier": "\(carrier)"]
        switch state {
        case .open:
            m["failures"] = "\(failures ?? 0)"
            m["effect"] = "queued messages go to the route's next carrier until a trial succeeds"
            logger.warning("upstream-circuit-open", metadata: m)
        case .halfOpen:
            logger.info("upstream-circuit-half-open", metadata: m)
        case .closed:
            logger.notice("upstream-circuit-closed", metadata: m)
        }
    }

    private static func log(_ event: SMPPUpstreamEvent, carrier: String, logger: Logger) {
        var m: Logger.Metadata = ["carrier": "\(carrier)"]
        switch event {
        case .bound(let session, let kind):
            m["session"] = "\(session)"; m["mode"] = "\(kind)"
            logger.info("upstream-bound", metadata: m)
        case .connectFailed(let session, let reason):
            m["session"] = "\(session)"; m["reason"] = "\(reason)"
            logger.warning("upstream-connect-failed", metadata: m)
        case .bindFailed(let session, let status):
            m["session"] = "\(session)"; m["status"] = "\(status.map { $0.name } ?? "no answer")"
            logger.warning("upstream-bind-failed", metadata: m)
        case .disconnected(let session, let reason):
            m["session"] = "\(session)"; m["reason"] = "\(reason)"
            logger.warning("upstream-disconnected", metadata: m)
        case .reconnectScheduled(let session, let delayMs):
            m["session"] = "\(session)"; m["delay_ms"] = "\(delayMs)"
            logger.info("upstream-reconnect", metadata: m)
        case .throttled(let session, let pauseMs):
            m["session"] = "\(session)"; m["pause_ms"] = "\(pauseMs)"
            logger.info("upstream-throttled", metadata: m)
        case .circuitOpened(let failures): logCircuit(.open, failures: failures, carrier: carrier, logger: logger)
        case .circuitHalfOpen: logCircuit(.halfOpen, failures: nil, carrier: carrier, logger: logger)
        case .circuitClosed: logCircuit(.closed, failures: nil, carrier: carrier, logger: logger)
        }
    }
}
