// SessionPlan: where each session of a submit run connects and how it binds. By default every
// session goes to --port with --bind; --also-port spreads the sessions over several servers
// (the nodes of a cluster), and --receiver-port adds receiver sessions on another server, so
// that receipts for messages submitted on one node are counted where they arrive. A value.

import Reactor
import SMPP

struct SessionPlan: Equatable {
    var endpoint: Endpoint
    var bindKind: BindKind

    /// True for the sessions that only wait for receipts (--receiver-port).
    var isReceiptReceiver: Bool

    /// The sessions of a submit run, receivers first (they bind before anything is submitted):
    /// --receivers receiver sessions to the receiver endpoint, if any, then --connections
    /// sessions spread round-robin over --port and each --also-port, in that order.
    static func plans(for s: BenchSettings) -> [SessionPlan] {
        var out: [SessionPlan] = []
        if let rx = s.receiverEndpoint {
            for _ in 0..<s.receiverSessions {
                out.append(SessionPlan(endpoint: rx, bindKind: .receiver, isReceiptReceiver: true))
            }
        }
        let targets = [s.endpoint] + s.alsoEndpoints
        for i in 0..<s.connections {
            out.append(SessionPlan(endpoint: targets[i % targets.count], bindKind: s.bindKind, isReceiptReceiver: false))
        }
        return out
    }
}
