// What an SMPPUpstream reports beyond the seam's stats: events for the SMSC's log (the
// Upstream module has no logging dependency) and SMPP-specific counters. Values; the events
// are delivered on the loop thread through SMPPUpstream.onEvent.

import SMPP

/// Something an operator wants in the log. `session` is the index in the carrier's session
/// list (pair mode: transmitters at even, receivers at odd indexes).
public enum SMPPUpstreamEvent: Sendable, Equatable {
    /// A session bound ("transceiver", "transmitter" or "receiver").
    case bound(session: Int, kind: String)
    /// The TCP connect or the TLS handshake failed, or the connection closed before bind_resp.
    case connectFailed(session: Int, reason: String)
    /// The upstream refused the bind with `status`, or (nil) did not answer it in time.
    case bindFailed(session: Int, status: CommandStatus?)
    /// A bound session ended: the upstream unbound or closed, or a response did not come in
    /// time (its unanswered submits go back to the carrier's queue).
    case disconnected(session: Int, reason: String)
    /// The next connect of `session` starts after this delay (the reconnect backoff).
    case reconnectScheduled(session: Int, delayMs: Int64)
    /// ESME_RTHROTTLED / ESME_RMSGQFUL: `session` sends nothing for this long.
    case throttled(session: Int, pauseMs: Int64)
    /// `failures` consecutive failures opened the circuit: queued messages were returned.
    case circuitOpened(failures: Int)
    /// The open interval passed: the sessions connect again on trial.
    case circuitHalfOpen
    /// An answer on a half-open circuit closed it.
    case circuitClosed
}

/// SMPP-specific counters (the seam's UpstreamCarrierStats holds the common ones).
public struct SMPPUpstreamCounters: Sendable, Equatable {
    public var connectFailures: UInt64 = 0
    /// Binds refused or unanswered.
    public var bindFailures: UInt64 = 0
    /// submit_sm, enquire_link (or bind) responses that did not come within responseTimeoutMs.
    public var responseTimeouts: UInt64 = 0
    /// Bound sessions lost (upstream unbind, close, reset, response timeout).
    public var disconnects: UInt64 = 0
    /// submit_sm answered ESME_RTHROTTLED / ESME_RMSGQFUL (each resent later).
    public var throttled: UInt64 = 0
    /// Messages refused as EXPIRED because their validity passed while they waited.
    public var expired: UInt64 = 0
    /// Receipts (esm_class 0x04) without a readable id or state: acknowledged, not reported.
    public var unreadableReceipts: UInt64 = 0
    /// Receipts the SMSC did not take (an id it does not know, yet or at all): answered
    /// ESME_RX_T_APPN, so the service delivers them again.
    public var unknownReceipts: UInt64 = 0
    /// Requests from the upstream we do not take (answered generic_nack) and responses we did
    /// not expect.
    public var unexpectedPDUs: UInt64 = 0
    public init() {}
}
