// The seam between the SMSC and a real SMS service upstream (issue 12). An UpstreamCarrier
// takes accepted messages (OutboundMessage) and hands them to the service over SMPP or HTTP;
// it reports each message's answer, the service's receipts and MO back through its delegate.
// The SMSC owns routing, durability and the mapping between the service's ids and ours; a
// carrier owns its connections, retries, back-off and circuit breaker.
// Loop thread only: a carrier runs on the EventLoop it was made with, and calls its delegate
// there.
import SMPP

/// One accepted message on its way upstream: everything needed to send it (again, after a
/// restart). Fields are as the client submitted them.
///
/// A value with its fields in one immutable heap box: a message moves through the forwarding's
/// table, a carrier's queue and window and the delegate several times per hop, and the box
/// moves as one reference where the fields (four strings, two arrays) moved as ~200 bytes
/// and six retains. Setting a field copies the box (tests do; the forwarding path does not).
public struct OutboundMessage: Sendable, Equatable {
    private struct Fields: Sendable, Equatable {
        var id: UInt64
        var systemID: String
        var sourceTon: UInt8
        var sourceNpi: UInt8
        var source: String
        var destinationTon: UInt8
        var destinationNpi: UInt8
        var destination: String
        var esmClass: UInt8
        var protocolID: UInt8
        var priority: UInt8
        var dataCoding: UInt8
        var shortMessage: [UInt8]
        var messagePayload: [UInt8]?
        var sar: SARFields?
        var submitTimeMs: Int64
        var validityDeadlineMs: Int64
    }
    private final class Box: Sendable {
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }
    private var box: Box

    private mutating func update(_ change: (inout Fields) -> Void) {
        var f = box.fields
        change(&f)
        box = Box(f)
    }

    public static func == (a: OutboundMessage, b: OutboundMessage) -> Bool { a.box === b.box || a.box.fields == b.box.fields }

    /// Our message id (MessageID.rawValue).
    public var id: UInt64 {
        get { box.fields.id }
        set { update { $0.id = newValue } }
    }
    /// The account that submitted it.
    public var systemID: String {
        get { box.fields.systemID }
        set { update { $0.systemID = newValue } }
    }
    public var sourceTon: UInt8 {
        get { box.fields.sourceTon }
        set { update { $0.sourceTon = newValue } }
    }
    public var sourceNpi: UInt8 {
        get { box.fields.sourceNpi }
        set { update { $0.sourceNpi = newValue } }
    }
    public var source: String {
        get { box.fields.source }
        set { update { $0.source = newValue } }
    }
    public var destinationTon: UInt8 {
        get { box.fields.destinationTon }
        set { update { $0.destinationTon = newValue } }
    }
    public var destinationNpi: UInt8 {
        get { box.fields.destinationNpi }
        set { update { $0.destinationNpi = newValue } }
    }
    public var destination: String {
        get { box.fields.destination }
        set { update { $0.destination = newValue } }
    }
    public var esmClass: UInt8 {
        get { box.fields.esmClass }
        set { update { $0.esmClass = newValue } }
    }
    public var protocolID: UInt8 {
        get { box.fields.protocolID }
        set { update { $0.protocolID = newValue } }
    }
    public var priority: UInt8 {
        get { box.fields.priority }
        set { update { $0.priority = newValue } }
    }
    public var dataCoding: UInt8 {
        get { box.fields.dataCoding }
        set { update { $0.dataCoding = newValue } }
    }
    /// short_message as submitted (with its UDH when esm_class has UDHI set).
    public var shortMessage: [UInt8] {
        get { box.fields.shortMessage }
        set { update { $0.shortMessage = newValue } }
    }
    /// The message_payload TLV as submitted, when the client used it (short_message is then empty).
    public var messagePayload: [UInt8]? {
        get { box.fields.messagePayload }
        set { update { $0.messagePayload = newValue } }
    }
    /// sar_msg_ref_num, sar_total_segments, sar_segment_seqnum as submitted, when present.
    public var sar: SARFields? {
        get { box.fields.sar }
        set { update { $0.sar = newValue } }
    }
    /// When smppd accepted it (Unix ms).
    public var submitTimeMs: Int64 {
        get { box.fields.submitTimeMs }
        set { update { $0.submitTimeMs = newValue } }
    }
    /// After this (Unix ms) the message is EXPIRED: carriers stop retrying it.
    public var validityDeadlineMs: Int64 {
        get { box.fields.validityDeadlineMs }
        set { update { $0.validityDeadlineMs = newValue } }
    }

    public init(id: UInt64, systemID: String, sourceTon: UInt8, sourceNpi: UInt8, source: String,
                destinationTon: UInt8, destinationNpi: UInt8, destination: String, esmClass: UInt8 = 0,
                protocolID: UInt8 = 0, priority: UInt8 = 0, dataCoding: UInt8 = 0, shortMessage: [UInt8],
                messagePayload: [UInt8]? = nil, sar: SARFields? = nil, submitTimeMs: Int64, validityDeadlineMs: Int64) {
        box = Box(Fields(id: id, systemID: systemID, sourceTon: sourceTon, sourceNpi: sourceNpi, source: source,
                         destinationTon: destinationTon, destinationNpi: destinationNpi, destination: destination,
                         esmClass: esmClass, protocolID: protocolID, priority: priority, dataCoding: dataCoding,
                         shortMessage: shortMessage, messagePayload: messagePayload, sar: sar, submitTimeMs: submitTimeMs,
                         validityDeadlineMs: validityDeadlineMs))
    }
}

/// The sar_* TLVs of a segment the client concatenated itself.
public struct SARFields: Sendable, Equatable {
    public var reference: UInt16
    public var total: UInt8
    public var sequence: UInt8
    public init(reference: UInt16, total: UInt8, sequence: UInt8) {
        self.reference = reference
        self.total = total
        self.sequence = sequence
    }
}

/// A mobile-originated message the service sent us.
public struct UpstreamMO: Sendable, Equatable {
    public var sourceTon: UInt8
    public var sourceNpi: UInt8
    public var source: String
    public var destination: String
    public var dataCoding: UInt8
    /// As the service sent it: UDHI (0x40) says `text` starts with a user data header.
    public var esmClass: UInt8
    public var text: [UInt8]
    public init(sourceTon: UInt8 = 1, sourceNpi: UInt8 = 1, source: String, destination: String, dataCoding: UInt8,
                esmClass: UInt8 = 0, text: [UInt8]) {
        self.sourceTon = sourceTon
        self.sourceNpi = sourceNpi
        self.source = source
        self.destination = destination
        self.dataCoding = dataCoding
        self.esmClass = esmClass
        self.text = text
    }
}

/// What a carrier reports. Loop thread; called from the carrier's own callbacks.
public protocol UpstreamCarrierDelegate: AnyObject {
    /// The service accepted message `id` and named it `upstreamID` (its receipts use that name).
    func carrier(_ carrier: UpstreamCarrier, accepted id: UInt64, upstreamID: UpstreamID)
    /// The service refused message `id` for good (or its validity passed while retrying):
    /// the message ends in `state` with network error `errorCode`.
    func carrier(_ carrier: UpstreamCarrier, refused id: UInt64, state: MessageState, errorCode: UInt16)
    /// The carrier cannot take these now (its circuit opened, or it is stopping) and has not
    /// sent them, or sent them without an answer: the SMSC sends them through the next route.
    func carrier(_ carrier: UpstreamCarrier, returned messages: [OutboundMessage])
    /// A receipt from the service for its message `upstreamID`; the answer says how to
    /// acknowledge it. In durable mode the SMSC holds the carrier's next write until the
    /// change is on disk: an SMPP carrier writes its deliver_sm_resp right after this returns,
    /// with no other write in between.
    func carrier(_ carrier: UpstreamCarrier, receiptFor upstreamID: UpstreamID, state: MessageState, errorCode: UInt16) -> UpstreamDeliveryAnswer
    /// An MO from the service; the SMSC routes it to the account owning `destination`.
    /// The same write rule as receipts holds for its acknowledgement.
    func carrier(_ carrier: UpstreamCarrier, mobileOriginated mo: UpstreamMO) -> UpstreamDeliveryAnswer
}

/// How a carrier acknowledges a receipt or MO the service delivered.
public enum UpstreamDeliveryAnswer: Sendable, Equatable {
    /// Taken: acknowledge it (SMPP: deliver_sm_resp ESME_ROK).
    case taken
    /// Not now, deliver it again later (SMPP: ESME_RX_T_APPN): a receipt naming an id not known
    /// yet (it can overtake, on another session, the answer that names the id), a full
    /// queue, a store that cannot write.
    case retryLater
    /// Never (SMPP: ESME_RX_P_APPN): an MO for a number no account owns.
    case refused
}

/// Whether a carrier takes traffic (the circuit breaker's three states).
public enum CircuitState: String, Sendable {
    /// Healthy: takes traffic.
    case closed
    /// Failing: takes none until its open interval passes.
    case open
    /// Trying again with a little traffic after being open.
    case halfOpen = "half-open"
}

/// A carrier's counters, for the metrics and the admin status.
public struct UpstreamCarrierStats: Sendable, Equatable {
    /// Messages handed to the service and not yet answered.
    public var inFlight = 0
    /// Messages waiting in the carrier for a connection, a batch or a retry.
    public var queued = 0
    /// Messages the service accepted / refused; sends retried.
    public var accepted: UInt64 = 0
    public var refused: UInt64 = 0
    public var retries: UInt64 = 0
    /// Receipts and MO received.
    public var receipts: UInt64 = 0
    public var mobileOriginated: UInt64 = 0
    /// Sum and count of the time from sending a message to the service's answer, in µs.
    public var answerLatencySumMicros: UInt64 = 0
    public var answerLatencyCount: UInt64 = 0
    /// Connections (SMPP sessions bound, HTTP connections open) and the circuit.
    public var connections = 0
    public var circuit: CircuitState = .closed
    public init() {}
}

/// A carrier that forwards to a service upstream. Loop thread only.
public protocol UpstreamCarrier: AnyObject {
    /// The `[[carrier]]` name from the config.
    var name: String { get }
    /// "smpp" or "http".
    var kind: String { get }
    /// Held strongly (each report reads it): the owner sets it to nil after stop().
    var delegate: UpstreamCarrierDelegate? { get set }
    /// Whether `send` should be given traffic now (circuit closed or half-open).
    var isAvailable: Bool { get }
    var stats: UpstreamCarrierStats { get }
    /// Connect (SMPP: bind its sessions); reconnects on its own from then on.
    func start()
    /// Takes a message: the carrier sends it (batching, windowing, retrying as configured)
    /// until the service answers (accepted / refused) or it returns it.
    func send(_ message: OutboundMessage)
    /// Unbinds / closes; messages not yet answered are returned through the delegate.
    func stop()
}
