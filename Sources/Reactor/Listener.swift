// Listener: a nonblocking listening socket on the loop; accepts until EAGAIN on each readiness
// event, makes a Connection per socket (TLS when a context is set; expecting a PROXY header
// first when the peer is in `proxyFrom`) and hands it to onAccept.
// Loop thread only (create it before run() or on the loop thread).

import CShims

public final class Listener {
    public let boundEndpoint: Endpoint
    private let loop: EventLoop
    private var fd: Int32
    private var tls: TLSServerContext?
    private let options: ConnectionOptions
    private let onAccept: (Connection) -> Void
    private var watcher: IOWatcher?
    private var retryTimer: LoopTimer?
    /// True from an accept that ran out of descriptors (or memory) until the next success.
    public private(set) var isExhausted = false
    /// Called (loop thread) each time accept fails for lack of descriptors or memory, with the
    /// errno; accepting pauses 100 ms after each, so this runs at most ~10 times a second.
    public var onExhausted: ((Int32) -> Void)?
    /// Called on the first accepted connection after an exhaustion.
    public var onRecovered: (() -> Void)?
    /// Balancers: a connection whose socket peer lies in one of these prefixes must start with
    /// a PROXY v2 header (read before the TLS handshake); others get no header processing.
    /// Empty: off. Applies to connections accepted after it is set.
    public var proxyFrom: [AddressPrefix]

    /// Binds and starts accepting. `tls` nil makes a plaintext listener (C-TLS-3); port 0 picks
    /// a free port (see boundEndpoint). `reusePort`: SO_REUSEPORT, so that several processes
    /// that all set it share the port. `onAccept` must set the connection's delegate.
    public init(loop: EventLoop, endpoint: Endpoint, tls: TLSServerContext?, options: ConnectionOptions,
                proxyFrom: [AddressPrefix] = [], reusePort: Bool = false,
                onAccept: @escaping (Connection) -> Void) throws(ReactorError) {
        precondition(options.inputCapacityBytes > 0 && options.outputCapacityBytes > 0 && options.maxReadBytesPerEvent > 0,
                     "ConnectionOptions sizes must be positive")
        let (fd, bound) = try Sys.listen(on: endpoint, backlog: 4096, reusePort: reusePort)
        self.proxyFrom = proxyFrom
        self.loop = loop
        self.fd = fd
        self.boundEndpoint = bound
        self.tls = tls
        self.options = options
        self.onAccept = onAccept
        let w = IOWatcher(loop: loop, fd: fd, events: Int32(SHIM_EV_READ)) { [unowned self] in self.acceptReady() }
        watcher = w
        w.start()
    }

    deinit { close() }

    /// New connections use `context`; existing ones keep the one they were accepted with
    /// (each SSL holds a reference to its SSL_CTX). For SIGHUP certificate reloads.
    public func replaceTLSContext(_ context: TLSServerContext) {
        loop.assertOnLoopThread()
        precondition(tls != nil, "replaceTLSContext on a plaintext listener")
        tls = context
    }

    public var isTLS: Bool { tls != nil }

    /// Stops accepting and closes the listening socket. Accepted connections live on.
    public func close() {
        watcher = nil
        retryTimer = nil
        if fd >= 0 {
            Sys.close(fd)
            fd = -1
        }
    }

    private func acceptReady() {
        while fd >= 0 {
            switch Sys.accept(fd) {
            case let .accepted(connectionFD, peer):
                if isExhausted {
                    isExhausted = false
                    onRecovered?()
                }
                Sys.setNoDelay(connectionFD)
                let fromBalancer = !proxyFrom.isEmpty && proxyFrom.contains(host: peer?.host ?? "")
                guard let connection = Connection(loop: loop, fd: connectionFD, tls: tls, options: options, peer: peer,
                                                  expectsProxyHeader: fromBalancer) else {
                    Sys.close(connectionFD)  // SSL_new failed: out of memory
                    continue
                }
                onAccept(connection)
                connection.start()
            case .wouldBlock:
                return
            case .skip:
                continue
            case let .exhausted(errno: code):
                // Out of fds/memory: the socket stays readable, so polling it now would spin.
                // Pause accepting briefly; pending clients wait in the backlog.
                isExhausted = true
                onExhausted?(code)
                watcher?.stop()
                let t = retryTimer ?? LoopTimer(loop: loop) { [unowned self] in
                    if self.fd >= 0 { self.watcher?.start() }
                }
                retryTimer = t
                t.schedule(after: .milliseconds(100))
                return
            }
        }
    }
}
