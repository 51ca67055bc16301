// TLSStream: the byte transport under a Connection: a nonblocking socket, and for TLS an SSL
// object on that fd (SSL_set_fd, accept state). It moves bytes between the socket and the
// connection's rings without copies (SSL_read writes into the input ring's free region, SSL_write
// reads the output ring's readable region) and turns every result into a Step value: would-block
// and WANT_* are values, never errors (STYLE 9.6). Loop thread only.
// Unsafe code (allowlisted, STYLE 9.3): ring pointers are lent to OpenSSL or read/send(2) only
// for the duration of one call; the SSL* is freed exactly once, in close().

#if canImport(Glibc)
import Glibc
#endif
import CShims

final class TLSStream {
    enum Step: Equatable {
        /// Bytes moved (for handshake(): 0 means it finished).
        case bytes(Int)
        case wantRead
        case wantWrite
        /// Orderly end: TCP EOF, TLS close_notify, or an EOF OpenSSL calls "unexpected".
        case eof
        case failed(CloseReason)
    }

    let fd: Int32
    private var ssl: OpaquePointer?
    private var isClosed = false

    var isTLS: Bool { ssl != nil }

    /// Takes ownership of `fd`. For TLS, returns nil when SSL_new/SSL_set_fd fail (out of
    /// memory); the caller then closes `fd` itself.
    convenience init?(fd: Int32, context: TLSServerContext?) {
        self.init(fd: fd, sslContext: context?.raw, clientMode: false)
    }

    /// Client side (Connector): the SSL is put in connect state and sends the ClientHello on
    /// the first handshake() step. `serverName` goes into SNI when it is a host name. With
    /// `verifyName` (and a context that verifies the chain), the certificate must also be for
    /// that host name or IP address, or the handshake fails. Returns nil when the name cannot
    /// be set (the caller then closes `fd`).
    convenience init?(fd: Int32, client context: TLSClientContext?, serverName: String?, verifyName: String? = nil) {
        self.init(fd: fd, sslContext: context?.raw, clientMode: true)
        if let ssl, let serverName, !serverName.isEmpty, serverName.first?.isLetter == true {
            _ = shim_SSL_set_tlsext_host_name(ssl, serverName)
        }
        if let ssl, let name = verifyName, context?.verifiesPeer == true {
            let isAddress = name.contains(":") || name.allSatisfy { $0.isNumber || $0 == "." }
            let set = isAddress ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) : SSL_set1_host(ssl, name)
            guard set == 1 else {
                ERR_clear_error()
                return nil
            }
        }
    }

    private init?(fd: Int32, sslContext: OpaquePointer?, clientMode: Bool) {
        self.fd = fd
        if let sslContext {
            ERR_clear_error()
            guard let ssl = SSL_new(sslContext) else { return nil }
            guard SSL_set_fd(ssl, fd) == 1 else {
                SSL_free(ssl)
                ERR_clear_error()
                return nil
            }
            if clientMode { SSL_set_connect_state(ssl) } else { SSL_set_accept_state(ssl) }
            self.ssl = ssl
        }
    }

    deinit { close() }

    /// Drives the handshake (server or client) one step. Plaintext streams are "done" at once.
    func handshake() -> Step {
        guard let ssl else { return .bytes(0) }
        ERR_clear_error()  // stale errors would be misread by SSL_get_error (nginx ngx_ssl_clear_error)
        let rc = SSL_do_handshake(ssl)
        let savedErrno = errno
        if rc == 1 { return .bytes(0) }
        return classify(ssl, rc, savedErrno)
    }

    /// Reads at most `limit` bytes straight into `ring`'s free region and commits them.
    /// The ring must be mapped and have free space.
    func read(into ring: RingBuffer, limit: Int) -> Step {
        let step: Step = ring.withUnsafeWritableBytes { free in
            let count = min(limit, free.count, Int(Int32.max))
            precondition(count > 0, "TLSStream.read with no room")
            guard let ssl else {
                switch Sys.read(fd, into: free.baseAddress!, count: count) {
                case let .bytes(n): return .bytes(n)
                case .wouldBlock: return .wantRead
                case .eof: return .eof
                case let .failed(code): return .failed(.reset(errno: code))
                }
            }
            Self.clearStaleErrors()
            let rc = SSL_read(ssl, free.baseAddress, Int32(count))
            let savedErrno = errno
            if rc > 0 { return .bytes(Int(rc)) }
            return classify(ssl, rc, savedErrno)
        }
        if case let .bytes(n) = step { ring.commitWrite(n) }
        return step
    }

    /// Writes as much of `ring`'s readable bytes as the socket takes (one SSL_write for all of
    /// them: OpenSSL cuts records, PARTIAL_WRITE returns after the ones that fit) and consumes
    /// what was written. A retry after WANT_WRITE passes at least the same bytes, as OpenSSL
    /// requires, because the ring only grows at its end until those bytes are consumed.
    /// `limit`: send at most that many (bytes after it are held back by the flush gate).
    func write(from ring: RingBuffer, limit: Int = .max) -> Step {
        let step: Step = ring.withUnsafeReadableBytes { pending in
            let count = min(pending.count, limit, Int(Int32.max))
            guard count > 0 else { return .bytes(0) }
            guard let ssl else {
                switch Sys.write(fd, from: pending.baseAddress!, count: count) {
                case let .bytes(n): return .bytes(n)
                case .wouldBlock: return .wantWrite
                case .eof: return .eof
                case let .failed(code): return .failed(.reset(errno: code))
                }
            }
            Self.clearStaleErrors()
            let rc = SSL_write(ssl, pending.baseAddress, Int32(count))
            let savedErrno = errno
            if rc > 0 { return .bytes(Int(rc)) }
            return classify(ssl, rc, savedErrno)
        }
        if case let .bytes(n) = step { ring.consume(n) }
        return step
    }

    /// Decrypted bytes (or a whole buffered record) OpenSSL holds that the socket will never
    /// signal again: the connection must read again without waiting for readiness.
    var hasBufferedInput: Bool {
        guard let ssl else { return false }
        return SSL_has_pending(ssl) == 1
    }

    /// "TLSv1.3", "TLSv1.2"; nil for plaintext.
    var protocolVersion: String? {
        guard let ssl, let text = SSL_get_version(ssl) else { return nil }
        return String(cString: text)
    }

    /// Sends close_notify once, without waiting for the peer's (we close the socket next).
    /// Only after a clean exchange: OpenSSL forbids SSL_shutdown after a fatal error.
    func shutdownGracefully() {
        guard let ssl, SSL_is_init_finished(ssl) == 1 else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// Frees the SSL object and closes the socket. Idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        if let ssl { SSL_free(ssl) }
        ssl = nil
        Sys.close(fd)
    }

    /// Maps SSL_get_error after a call that returned `rc` <= 0.
    /// - SSL_ERROR_SYSCALL with an empty error queue and errno 0 is EOF (OpenSSL 1.1 style).
    /// - OpenSSL 3 reports a peer that vanished without close_notify as SSL_ERROR_SSL with
    ///   SSL_R_UNEXPECTED_EOF_WHILE_READING: for a byte stream that is simply EOF.
    /// Empties the thread's OpenSSL error queue if anything is on it: stale errors would be
    /// misread by SSL_get_error (nginx's ngx_ssl_clear_error). Peeking first because
    /// ERR_clear_error itself walks and resets all 16 queue slots, and this runs before every
    /// SSL_read and SSL_write, while the queue is almost always empty.
    @inline(__always)
    private static func clearStaleErrors() {
        if ERR_peek_error() != 0 { ERR_clear_error() }
    }

    private func classify(_ ssl: OpaquePointer, _ rc: Int32, _ savedErrno: Int32) -> Step {
        let code = SSL_get_error(ssl, rc)
        switch code {
        case SSL_ERROR_WANT_READ:
            return .wantRead
        case SSL_ERROR_WANT_WRITE:
            return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            return .eof
        case SSL_ERROR_SYSCALL:
            if ERR_peek_error() == 0 {
                if savedErrno == 0 { return .eof }
                return .failed(.reset(errno: savedErrno))
            }
            return .failed(.tlsError(TLSErrors.drain()))
        case SSL_ERROR_SSL:
            let first = ERR_peek_error()
            if shim_ERR_GET_LIB(first) == ERR_LIB_SSL && shim_ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING {
                ERR_clear_error()
                return .eof
            }
            return .failed(.tlsError(TLSErrors.drain()))
        default:
            ERR_clear_error()
            return .failed(.tlsError("SSL_get_error \(code)"))
        }
    }
}
