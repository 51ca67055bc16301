// Tunables of the session layer, built by the daemon from config and flags (CONTRACT §1–§3).
// A plain value: the daemon hands a new one over on SIGHUP.
import Reactor

/// Everything the SMSC core needs to know that is not an account.
public struct SMSCSettings: Sendable, Equatable {
    /// Our system_id in bind_*_resp.
    public var systemID = "smppd"
    /// Largest PDU accepted (C-ERR-2); a PDU carrying message_payload may be up to `maxPayloadPDUBytes`.
    public var maxPDUBytes = 4096
    public var maxPayloadPDUBytes = 71_680
    public var handshakeTimeout: Duration = .seconds(10)
    /// A connection that has not bound by then is closed (C-TLS-4).
    public var bindTimeout: Duration = .seconds(30)
    /// No PDU received for this long: the session is closed (C-SESS-2).
    public var inactivityTimeout: Duration = .seconds(120)
    /// Idle this long: we send enquire_link (C-SESS-2).
    public var keepaliveInterval: Duration = .seconds(30)
    /// How long we wait for the answer to a PDU we sent (enquire_link, unbind).
    public var responseTimeout: Duration = .seconds(10)
    /// On SIGTERM, how long sessions get to answer our unbind (C-SESS-4).
    public var shutdownTimeout: Duration = .seconds(5)
    /// Consecutive malformed PDUs after which a session is closed (ksmppd's error threshold).
    public var maxConsecutiveBadPDUs = 32
    public var bindFailures = BindFailurePolicy()
    /// Balancers whose connections start with a PROXY v2 header naming the real client
    /// (`[server] proxy-protocol-from`); empty: no header is read from anyone.
    public var proxyProtocolFrom: [AddressPrefix] = []

    public init() {}
}
