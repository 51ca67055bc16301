// The bind state table of CONTRACT §2–§3 as a pure function: (phase, operation) → verdict.
// No sockets, no codec types: the session maps command_ids to operations and verdicts to
// statuses, so the table can be read (and tested) on its own. Any thread.

/// Where a session is in its life.
public enum SessionPhase: Equatable, Sendable {
    /// TCP accepted, TLS handshake not finished.
    case handshaking
    /// Ready for a bind.
    case open
    /// A bind is being checked (password off the loop, or a failure being delayed).
    case binding
    case bound(BindMode)
    /// We sent unbind (shutdown) and wait for unbind_resp.
    case unbinding(BindMode)
    /// unbind_resp or an error went out; closing after the flush.
    case closing
}

/// What an ESME asks for, as the state table sees it.
public enum SessionOperation: Equatable, Sendable {
    case bind(BindMode)
    case enquireLink
    case unbind
    /// submit_sm, submit_multi, data_sm, replace_sm: sending.
    case send
    /// query_sm, cancel_sm: managing sent messages.
    case manage
    /// A response to a PDU we sent (enquire_link_resp, unbind_resp, deliver_sm_resp, generic_nack).
    case response
    /// A PDU only an SMSC sends (deliver_sm, outbind, alert_notification, bind responses…).
    case smscOnly
}

/// The table's answer.
public enum SessionVerdict: Equatable, Sendable {
    case proceed
    /// ESME_RALYBND (C-BIND-3).
    case alreadyBound
    /// ESME_RINVBNDSTS (C-BIND-4).
    case invalidBindStatus
    /// Nothing to answer (a response we did not ask for while closing, say).
    case ignore
}

public enum SessionRules {
    /// The whole table. Reading order: phase first, then operation.
    public static func verdict(_ phase: SessionPhase, _ op: SessionOperation) -> SessionVerdict {
        switch (phase, op) {
        case (.handshaking, _):
            return .ignore                       // no SMPP bytes can arrive before TLS is up
        case (.closing, _):
            return .ignore                       // after unbind_resp nothing more is answered
        case (_, .smscOnly):
            return .invalidBindStatus            // deliver_sm & co. from an ESME are out of place in any state
        case (_, .enquireLink), (_, .response):
            return .proceed                      // C-SESS-1: in any state
        case (.open, .bind):
            return .proceed
        case (.binding, .bind):
            return .alreadyBound                 // a second bind pipelined behind the first
        case (.bound, .bind), (.unbinding, .bind):
            return .alreadyBound                 // C-BIND-3
        case (.open, .unbind), (.binding, .unbind), (.bound, .unbind), (.unbinding, .unbind):
            return .proceed                      // C-SESS-3: answered, then the connection closes
        case (.open, _), (.binding, _):
            return .invalidBindStatus            // C-BIND-4: nothing else before a bind
        case (.bound(let mode), .send), (.bound(let mode), .manage):
            return mode.canSubmit ? .proceed : .invalidBindStatus   // C-BIND-4: not on a receiver
        case (.unbinding, .send), (.unbinding, .manage):
            return .invalidBindStatus            // we asked to unbind (shutdown): take no new work
        }
    }
}
