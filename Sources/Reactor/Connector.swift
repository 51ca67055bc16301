// Connector: outbound TCP (and TLS client) connections on the loop. A nonblocking connect, then
// TCP_NODELAY and a Connection in client mode driven exactly like an accepted one: the handshake
// (SSL_set_connect_state), connectionDidBecomeReady, didReceive, exactly one connectionDidClose.
// Loop thread only. The name lookup (getaddrinfo) blocks: resolve once, at start-up.

#if canImport(Glibc)
import Glibc
#endif
import CShims

public enum Connector {
    /// Starts connecting to `endpoint`. `onConnect` gets the Connection once the TCP connect
    /// finished (it must set the delegate; the TLS handshake starts right after it returns), or
    /// the error (refused, unreachable, timed out). Called on the loop thread, never inside
    /// connect() itself.
    /// `verifyName`: the host name (or address) the server's certificate must carry, when `tls`
    /// verifies the chain (nil: the chain alone, as smppbench's --ca-file does).
    public static func connect(loop: EventLoop, to endpoint: Endpoint, tls: TLSClientContext?, verifyName: String? = nil,
                               options: ConnectionOptions = ConnectionOptions(),
                               onConnect: @escaping (Result<Connection, ReactorError>) -> Void) {
        loop.assertOnLoopThread()
        let pending = PendingConnect(loop: loop, endpoint: endpoint, tls: tls, verifyName: verifyName, options: options,
                                     onConnect: onConnect)
        pending.begin()
    }
}

/// One connect attempt: keeps itself alive (through its watcher's closure) until it reports.
private final class PendingConnect {
    let loop: EventLoop
    let endpoint: Endpoint
    let tls: TLSClientContext?
    let verifyName: String?
    let options: ConnectionOptions
    var onConnect: ((Result<Connection, ReactorError>) -> Void)?
    var watcher: IOWatcher?
    var timer: LoopTimer?
    var fd: Int32 = -1

    init(loop: EventLoop, endpoint: Endpoint, tls: TLSClientContext?, verifyName: String?, options: ConnectionOptions,
         onConnect: @escaping (Result<Connection, ReactorError>) -> Void) {
        self.loop = loop
        self.endpoint = endpoint
        self.tls = tls
        self.verifyName = verifyName
        self.options = options
        self.onConnect = onConnect
    }

    func begin() {
        let result: Sys.ConnectResult
        do {
            result = try Sys.connect(to: endpoint)
        } catch {
            // Report from the loop, not from inside connect().
            let t = LoopTimer(loop: loop) { self.finish(.failure(error)) }
            timer = t
            t.schedule(after: .milliseconds(0))
            return
        }
        switch result {
        case let .connected(fd), let .inProgress(fd):
            self.fd = fd
            // Connected or not, wait for writability: reporting from a callback keeps the
            // "never inside connect()" promise.
            let w = IOWatcher(loop: loop, fd: fd, events: Int32(SHIM_EV_WRITE)) { self.writable() }
            watcher = w
            w.start()
            let t = LoopTimer(loop: loop) { self.timedOut() }
            timer = t
            t.schedule(after: options.handshakeTimeout)
        }
    }

    private func writable() {
        // Stop the watcher before the fd is closed or handed on: libev must never see a closed
        // fd (a later socket reusing the number would not be re-registered with epoll).
        watcher?.stop()
        let fd = self.fd
        let code = Sys.socketError(fd)
        if code != 0 {
            Sys.close(fd)
            finish(.failure(.system(call: "connect \(endpoint)", errno: code)))
            return
        }
        Sys.setNoDelay(fd)
        guard let stream = TLSStream(fd: fd, client: tls, serverName: verifyName ?? endpoint.host, verifyName: verifyName) else {
            Sys.close(fd)
            finish(.failure(.tls("SSL_new (or setting the name to verify) failed for \(endpoint)")))
            return
        }
        let connection = Connection(loop: loop, stream: stream, options: options)
        finish(.success(connection))
        connection.start()
    }

    private func timedOut() {
        watcher?.stop()
        if fd >= 0 { Sys.close(fd) }
        finish(.failure(.system(call: "connect \(endpoint)", errno: ETIMEDOUT)))
    }

    /// Reports once. The watcher and timer (whose closures own this object) are only stopped
    /// here; they are released with this object once the completion has run, never from inside
    /// their own callbacks.
    private func finish(_ result: Result<Connection, ReactorError>) {
        watcher?.stop()
        timer?.cancel()
        fd = -1
        guard let report = onConnect else { return }
        onConnect = nil
        report(result)
        // Break the closure -> self cycle on a later loop iteration, outside these callbacks.
        let releaser = LoopTimer(loop: loop) { [self] in
            self.watcher = nil
            self.timer = nil
            self.releaser = nil
        }
        releaser.schedule(after: .milliseconds(0))
        self.releaser = releaser
    }

    private var releaser: LoopTimer?
}
