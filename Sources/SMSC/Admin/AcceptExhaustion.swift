// Running out of descriptors on accept (EMFILE, ENFILE) or of kernel memory: the listener
// pauses 100 ms and retries (no spin); this says so in the log, at most once per interval
// with the number of failures not logged, and counts every failure in the metrics.
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Reactor

/// Lets one log line through per `intervalMs` and counts the ones it holds back.
struct RateLimitedLog {
    let intervalMs: Int64
    private var lastMs: Int64? = nil
    private var held = 0

    init(intervalMs: Int64) { self.intervalMs = intervalMs }

    /// nil: stay quiet (counted). Otherwise log now, saying how many were held back since the
    /// last line.
    mutating func admit(nowMs: Int64) -> Int? {
        if let last = lastMs, nowMs - last < intervalMs {
            held += 1
            return nil
        }
        lastMs = nowMs
        defer { held = 0 }
        return held
    }
}

func errnoName(_ code: Int32) -> String {
    switch code {
    case EMFILE: return "EMFILE"
    case ENFILE: return "ENFILE"
    case ENOBUFS: return "ENOBUFS"
    case ENOMEM: return "ENOMEM"
    default: return "errno-\(code)"
    }
}

extension SMSCServer {
    /// Wires a listener's exhaustion callbacks to the log and the metrics.
    func watchExhaustion(of listener: Listener) {
        let address = "\(listener.boundEndpoint)"
        var failuresThisEpisode = 0
        listener.onExhausted = { [unowned self] code in
            let name = errnoName(code)
            metrics.acceptExhausted(errnoName: name)
            failuresThisEpisode += 1
            guard let held = acceptExhaustionLog.admit(nowMs: loop.nowMilliseconds) else { return }
            logger.warning("accept-exhausted", metadata: [
                "listener": "\(address)", "errno": "\(name)", "suppressed": "\(held)",
                "hint": "out of file descriptors or memory: new connections wait in the backlog; raise the open-files limit (ulimit -n, LimitNOFILE)",
            ])
        }
        listener.onRecovered = { [unowned self] in
            logger.info("accept-resumed", metadata: ["listener": "\(address)", "failures": "\(failuresThisEpisode)"])
            failuresThisEpisode = 0
        }
    }
}
