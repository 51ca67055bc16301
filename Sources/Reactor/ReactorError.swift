// Errors thrown at set-up time (binding, loading certificates, creating loops). Nothing thrown
// ever crosses a libev callback: per-connection failures become a CloseReason instead.

public enum ReactorError: Error, Sendable, CustomStringConvertible {
    /// A syscall failed; `call` names it (and its argument where useful).
    case system(call: String, errno: Int32)
    /// OpenSSL refused something; the text names the file or setting and OpenSSL's reason.
    case tls(String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .system(call, code): "\(call): \(Sys.describe(errno: code)) (errno \(code))"
        case let .tls(text): text
        case let .invalidArgument(text): text
        }
    }
}

/// Why a connection closed. Delivered exactly once per accepted connection.
public enum CloseReason: Sendable, Equatable, CustomStringConvertible {
    /// Orderly EOF or TLS close_notify from the peer (also OpenSSL 3's "unexpected eof").
    case peerClosed
    /// The socket failed (ECONNRESET, EPIPE, ETIMEDOUT...).
    case reset(errno: Int32)
    /// A TLS failure after the handshake, with OpenSSL's reason.
    case tlsError(String)
    /// The TLS handshake failed (plain bytes on the TLS port, version refused...), OpenSSL's reason.
    case handshakeFailed(String)
    /// The handshake did not finish within ConnectionOptions.handshakeTimeout (C-TLS-4).
    case handshakeTimeout
    /// A connection from a listed balancer did not start with a valid PROXY v2 header within
    /// the handshake timeout (bad bytes, closed early, too slow); ProxyHeader says why.
    case proxyHeaderInvalid(String)
    /// close() or a completed closeAfterFlush().
    case closedLocally
    /// closeAfterFlush() could not deliver the pending output within ConnectionOptions.flushTimeout.
    case flushTimeout
    /// The input ring filled up and the delegate consumed nothing while output had room: a
    /// message larger than inputCapacityBytes. The delegate should have rejected it earlier.
    case inputOverflow
    /// Ring memory could not be mapped (errno from mmap/memfd_create).
    case outOfMemory(errno: Int32)

    public var description: String {
        switch self {
        case .peerClosed: "peer closed"
        case let .reset(code): "connection error: \(Sys.describe(errno: code))"
        case let .tlsError(text): "TLS error: \(text)"
        case let .handshakeFailed(text): "TLS handshake failed: \(text)"
        case .handshakeTimeout: "TLS handshake timed out"
        case let .proxyHeaderInvalid(text): "invalid PROXY header: \(text)"
        case .closedLocally: "closed locally"
        case .flushTimeout: "closed before pending output drained (flush timeout)"
        case .inputOverflow: "input buffer overflow"
        case let .outOfMemory(code): "cannot allocate buffers: \(Sys.describe(errno: code))"
        }
    }
}

/// Per-connection tunables. Capacities are rounded up to a power-of-two number of pages.
public struct ConnectionOptions: Sendable {
    /// Input ring size; must hold the largest accepted message (a 72 KiB PDU fits the default).
    public var inputCapacityBytes: Int
    /// Output ring size: how much encoded output may wait for a slow reader before back-pressure.
    public var outputCapacityBytes: Int
    /// Time from accept to a finished TLS handshake (C-TLS-4), the PROXY header included.
    public var handshakeTimeout: Duration
    /// Upper bound on the time closeAfterFlush() waits for the peer to take pending output.
    public var flushTimeout: Duration
    /// Fairness cap: plaintext bytes read from one connection per readiness event.
    public var maxReadBytesPerEvent: Int
    /// Rings of a connection idle this long with nothing buffered are unmapped (re-mapped on
    /// the next byte), so idle sessions hold no ring memory. nil keeps them mapped.
    public var releaseIdleBuffersAfter: Duration?

    public init(
        inputCapacityBytes: Int = 128 * 1024,
        outputCapacityBytes: Int = 64 * 1024,
        handshakeTimeout: Duration = .seconds(10),
        flushTimeout: Duration = .seconds(5),
        maxReadBytesPerEvent: Int = 64 * 1024,
        releaseIdleBuffersAfter: Duration? = .seconds(10)
    ) {
        self.inputCapacityBytes = inputCapacityBytes
        self.outputCapacityBytes = outputCapacityBytes
        self.handshakeTimeout = handshakeTimeout
        self.flushTimeout = flushTimeout
        self.maxReadBytesPerEvent = maxReadBytesPerEvent
        self.releaseIdleBuffersAfter = releaseIdleBuffersAfter
    }
}

extension Duration {
    /// Seconds as libev's ev_tstamp.
    var evSeconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
