// Test support: a Reactor loop on its own pthread, a lock-protected recorder the test thread
// waits on (pthread mutex + condvar, which TSan understands), server delegates, and blocking-
// free test clients (plain or OpenSSL) driven by poll(2) with deadlines. Never sleep-and-hope:
// every wait is for a condition, bounded by a deadline.

import Testing
import Synchronization
@testable import Reactor
import Queues
import CShims
#if canImport(Glibc)
import Glibc
#endif

// MARK: - time and threads

func monotonicMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

func spawnThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    var tid = pthread_t()
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    let rc = pthread_create(&tid, nil, { raw in
        Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
    }, box)
    precondition(rc == 0)
    return tid
}

// MARK: - recorder

/// Shared between the loop thread (writes) and the test thread (waits and reads).
final class Recorder: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var _ready = 0
    private var _closes: [Int: [CloseReason]] = [:]
    private var _values: [String: Int] = [:]
    private var _notes: [String] = []
    private var _versions: [String] = []

    init() {
        // Error-checking: a locked accessor called inside wait(until:) (where the lock is held)
        // fails loudly instead of deadlocking the test thread.
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ERRORCHECK))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        pthread_cond_init(cond, nil)
    }
    deinit {
        pthread_cond_destroy(cond); pthread_mutex_destroy(mutex)
        cond.deallocate(); mutex.deallocate()
    }

    func locked<R>(_ body: () -> R) -> R {
        let status = pthread_mutex_lock(mutex)
        precondition(status != EDEADLK, "Recorder: a locking accessor inside wait(until:); use the u_ accessors there")
        defer { pthread_cond_broadcast(cond); pthread_mutex_unlock(mutex) }
        return body()
    }

    func ready(version: String?) { locked { _ready += 1; if let version { _versions.append(version) } } }
    func closed(_ id: Int, _ reason: CloseReason) { locked { _closes[id, default: []].append(reason) } }
    func add(_ key: String, _ n: Int = 1) { locked { _values[key, default: 0] += n } }
    func max(_ key: String, _ n: Int) { locked { _values[key] = Swift.max(_values[key] ?? 0, n) } }
    func note(_ text: String) { locked { _notes.append(text) } }

    var readyCount: Int { locked { _ready } }
    var versions: [String] { locked { _versions } }
    var closes: [Int: [CloseReason]] { locked { _closes } }
    var allCloseReasons: [CloseReason] { locked { _closes.values.flatMap { $0 } } }
    var notes: [String] { locked { _notes } }
    func value(_ key: String) -> Int { locked { _values[key] ?? 0 } }

    /// Waits until `condition` holds (checked under the lock) or the deadline passes.
    @discardableResult
    func wait(timeoutMilliseconds: Int64 = 10_000, until condition: () -> Bool) -> Bool {
        let deadline = monotonicMilliseconds() + timeoutMilliseconds
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !condition() {
            let now = monotonicMilliseconds()
            if now >= deadline { return false }
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            let waitMs = Swift.min(deadline - now, 50)
            ts.tv_nsec += Int(waitMs % 1000) * 1_000_000
            ts.tv_sec += Int(waitMs / 1000) + ts.tv_nsec / 1_000_000_000
            ts.tv_nsec %= 1_000_000_000
            pthread_cond_timedwait(cond, mutex, &ts)
        }
        return true
    }

    // Unlocked accessors for use inside wait(until:) (the lock is held there).
    var u_ready: Int { _ready }
    var u_closeCount: Int { _closes.values.reduce(0) { $0 + $1.count } }
    var u_notes: [String] { _notes }
    func u_value(_ key: String) -> Int { _values[key] ?? 0 }
}

// MARK: - server delegate

final class TestDelegate: ConnectionDelegate {
    enum Mode { case echo, echoFrames, sink, closeOnData, echoQuietly }
    let id: Int
    let mode: Mode
    let recorder: Recorder
    var onReady: ((Connection) -> Void)?
    private var closeCount = 0

    init(id: Int, mode: Mode, recorder: Recorder) {
        self.id = id
        self.mode = mode
        self.recorder = recorder
    }

    func connectionDidBecomeReady(_ connection: Connection) {
        recorder.ready(version: connection.tlsVersion)
        onReady?(connection)
    }

    func connection(_ connection: Connection, didReceive bytes: UnsafeRawBufferPointer) -> Int {
        // No recorder calls here: the allocation measurement counts every malloc on the loop thread.
        if mode == .echoQuietly { return echo(connection, bytes, upTo: bytes.count) }
        recorder.add("offered", bytes.count)
        let consumed: Int
        switch mode {
        case .sink, .echoQuietly: consumed = bytes.count
        case .closeOnData:
            connection.close()
            connection.close()  // idempotent
            #expect(!connection.write(reservingAtLeast: 1) { _ in 0 })
            consumed = 0
        case .echo: consumed = echo(connection, bytes, upTo: bytes.count)
        case .echoFrames: consumed = echoFrames(connection, bytes)
        }
        recorder.add("consumed", consumed)
        recorder.max("maxOutputUsed", connection.outputCapacityBytes - connection.outputFreeBytes)
        if connection.testsOnly_inputStraddlesWrap { recorder.add("straddled") }
        return consumed
    }

    func connectionDidClose(_ connection: Connection, reason: CloseReason) {
        closeCount += 1
        recorder.closed(id, reason)
    }

    /// Copies up to `limit` bytes into the output ring; stops (back-pressure) when it is full.
    private func echo(_ c: Connection, _ bytes: UnsafeRawBufferPointer, upTo limit: Int) -> Int {
        var done = 0
        while done < limit {
            var n = 0
            let ok = c.write(reservingAtLeast: 1) { out in
                n = Swift.min(out.count, limit - done)
                out.baseAddress!.copyMemory(from: bytes.baseAddress! + done, byteCount: n)
                return n
            }
            if !ok {
                if mode != .echoQuietly { recorder.add("refused") }
                break
            }
            done += n
        }
        return done
    }

    /// Frames: 4-byte big-endian total length, then payload bytes (seq &+ i) & 0xFF where seq is
    /// the first payload byte. Only whole frames are consumed and echoed, each with one
    /// reservation of its full size (like a PDU), so partial frames stay in the ring and frames
    /// straddle its wrap point.
    private func echoFrames(_ c: Connection, _ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while bytes.count - offset >= 4 {
            let p = bytes.baseAddress! + offset
            let length = Int(p.load(fromByteOffset: 0, as: UInt8.self)) << 24 | Int(p.load(fromByteOffset: 1, as: UInt8.self)) << 16
                | Int(p.load(fromByteOffset: 2, as: UInt8.self)) << 8 | Int(p.load(fromByteOffset: 3, as: UInt8.self))
            guard length >= 5, length <= c.inputCapacityBytes else { recorder.note("bad frame length \(length)"); return bytes.count }
            guard bytes.count - offset >= length else { break }
            let seed = p.load(fromByteOffset: 4, as: UInt8.self)
            for i in 0..<(length - 4) where p.load(fromByteOffset: 4 + i, as: UInt8.self) != seed &+ UInt8(truncatingIfNeeded: i) {
                recorder.note("corrupt frame at byte \(i)")
                break
            }
            let ok = c.write(reservingAtLeast: length) { out in
                out.baseAddress!.copyMemory(from: p, byteCount: length)
                return length
            }
            if !ok { recorder.add("refused"); break }
            recorder.add("frames")
            offset += length
        }
        return offset
    }
}

// MARK: - server on a pthread

/// A loop, one listener and its delegates, run on a pthread. Everything except `onLoop`,
/// `recorder` and `port` belongs to the loop thread once `start()` returned.
final class TestServer: @unchecked Sendable {
    let loop: EventLoop
    let recorder = Recorder()
    private(set) var listener: Listener!
    var delegates: [TestDelegate] = []
    var connections: [Connection] = []
    var _timerBoxes: [TimerBox] = []
    private var doorbell: Doorbell!
    private let inbox = BoundedQueue<@Sendable (TestServer) -> Void>(capacity: 64)
    private var thread: pthread_t?
    let port: UInt16

    init(tls: TLSServerContext?, options: ConnectionOptions = ConnectionOptions(), mode: TestDelegate.Mode = .echo,
         proxyFrom: [AddressPrefix] = [], onReady: ((Connection) -> Void)? = nil) throws {
        loop = try EventLoop()
        let recorder = self.recorder
        var nextID = 0
        var accepted: (Connection) -> Void = { _ in }
        listener = try Listener(loop: loop, endpoint: Endpoint(parsing: "127.0.0.1:0")!, tls: tls, options: options,
                                proxyFrom: proxyFrom) { c in
            accepted(c)
        }
        port = listener.boundEndpoint.port
        accepted = { [unowned self] c in
            let d = TestDelegate(id: nextID, mode: mode, recorder: recorder)
            nextID += 1
            d.onReady = onReady
            c.delegate = d
            self.delegates.append(d)
            self.connections.append(c)
        }
        doorbell = Doorbell(loop: loop) { [unowned self] in
            while let job = self.inbox.tryPop() { job(self) }
        }
    }

    func start() {
        let me = self
        thread = spawnThread { me.loop.run() }
    }

    /// Runs `body` on the loop thread (asynchronously).
    func onLoop(_ body: @escaping @Sendable (TestServer) -> Void) {
        var job = body
        while let back = inbox.tryPush(job) { job = back; sched_yield() }
        doorbell.ring()
    }

    /// Runs `body` on the loop thread and waits for its result.
    func sync<R: Sendable>(_ body: @escaping @Sendable (TestServer) -> R) -> R {
        let box = ResultBox<R>()
        onLoop { s in box.set(body(s)) }
        return box.wait()
    }

    /// Closes everything on the loop thread, stops the loop and joins its thread.
    func stop() {
        guard let thread else { return }
        onLoop { s in
            s.loop.closeAllConnections()
            s.listener.close()
            s.loop.stop()
        }
        pthread_join(thread, nil)
        self.thread = nil
        connections.removeAll()
        delegates.removeAll()
    }
}

final class ResultBox<R: Sendable>: @unchecked Sendable {
    private let recorder = Recorder()
    private var value: R?
    func set(_ v: R) { recorder.locked { value = v } }
    func wait() -> R {
        let ok = recorder.wait(timeoutMilliseconds: 20_000) { value != nil }
        precondition(ok, "loop did not answer")
        return recorder.locked { value! }
    }
}

// MARK: - certificates

enum TestCertificates {
    /// One self-signed pair per test process, in a fresh temporary directory.
    static let directory: String = {
        var template = Array("/tmp/smppd-reactor-tests-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(path != nil)
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }()

    /// Made once (a static let's initialiser runs once, whichever thread asks first): suites
    /// run in parallel, and two of them creating the pair at once raced on its temporary files
    /// (one renamed the other's `tls-key.pem.tmp` away).
    nonisolated(unsafe) private static let made: Result<TLSServerContext, any Error> = Result {
        try TLSServerContext.loadOrCreateSelfSigned(directory: directory, commonName: "localhost").context
    }

    static func serverContext() throws -> TLSServerContext { try made.get() }

    static func makeTempDirectory() -> String {
        var template = Array("/tmp/smppd-reactor-cert-XXXXXX".utf8CString)
        _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

// MARK: - client

final class TestClient {
    enum End: Equatable { case done, eof, error(String), timeout }

    /// -1 once closed: closing an fd number twice can close another thread's new descriptor
    /// (an EventLoop's epoll fd: "epoll_wait: Bad file descriptor", and libev aborts).
    private(set) var fd: Int32
    private(set) var ssl: OpaquePointer?
    private var context: OpaquePointer?
    var received: [UInt8] = []
    private var outgoing: [UInt8] = []
    private var sentOffset = 0
    private(set) var sawEOF = false

    /// Connects (blocking) to 127.0.0.1:port, then switches the socket to nonblocking.
    /// `tls`: nil for plaintext, else (min, max) protocol versions for the client.
    init(port: UInt16, tls: (min: Int32, max: Int32)? = nil) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        precondition(fd >= 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(rc == 0, "connect failed: \(errno)")
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if let tls {
            let ctx = SSL_CTX_new(TLS_client_method())!
            SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nil)
            SSL_CTX_set_security_level(ctx, 0)
            _ = SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0")
            _ = shim_SSL_CTX_set_min_proto_version(ctx, tls.min)
            _ = shim_SSL_CTX_set_max_proto_version(ctx, tls.max)
            context = ctx
            ssl = SSL_new(ctx)
            SSL_set_fd(ssl, fd)
            SSL_set_connect_state(ssl)
        }
    }

    deinit { close() }

    func close() {
        if let ssl { SSL_free(ssl) }
        ssl = nil
        if let context { SSL_CTX_free(context) }
        context = nil
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Closes with SO_LINGER 0: the peer gets an RST.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// The connect(2) errno for 127.0.0.1:port (0 when it connects).
    static func connectErrno(port: UInt16) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { Glibc.close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc == 0 ? 0 : errno
    }

    /// SHA-256 fingerprint of the server's certificate, formatted like TLSServerContext's.
    var peerFingerprint: String? {
        guard let ssl, let cert = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(cert) }
        return TLSServerContext.fingerprint(of: cert)
    }

    /// One nonblocking handshake step: nil while in progress, else the outcome.
    func handshakeStep() -> Result<String, HandshakeError>? {
        guard let ssl else { return .success("plain") }
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 { return .success(String(cString: SSL_get_version(ssl))) }
        let e = SSL_get_error(ssl, rc)
        if e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE { return nil }
        return .failure(HandshakeError(text: TLSErrors.drain()))
    }

    struct HandshakeError: Error, Equatable { let text: String }

    /// Drives the handshake to its end (polling), bounded by `timeoutMilliseconds`.
    func handshake(timeoutMilliseconds: Int64 = 10_000) -> Result<String, HandshakeError> {
        let deadline = monotonicMilliseconds() + timeoutMilliseconds
        while true {
            if let r = handshakeStep() { return r }
            if monotonicMilliseconds() > deadline { return .failure(HandshakeError(text: "timeout")) }
            waitReadable(milliseconds: 50, alsoWritable: false)
        }
    }

    func send(_ bytes: [UInt8]) { outgoing += bytes }

    /// Sends `bytes` straight on the socket, under any TLS (a PROXY header before the
    /// ClientHello). Small amounts only: the socket buffer takes them at once.
    func sendRaw(_ bytes: [UInt8]) {
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        precondition(n == bytes.count, "sendRaw: \(n) of \(bytes.count) bytes, errno \(errno)")
    }
    var unsentBytes: Int { outgoing.count - sentOffset }

    /// Writes what it can without blocking; returns bytes written (0 when the socket is full).
    @discardableResult
    func writeSome(maxBytes: Int = 1 << 20) -> Int {
        var total = 0
        while sentOffset < outgoing.count && total < maxBytes {
            let n = min(outgoing.count - sentOffset, 16 * 1024, maxBytes - total)
            let w: Int = outgoing.withUnsafeBytes { raw in
                let p = raw.baseAddress! + sentOffset
                if let ssl {
                    ERR_clear_error()
                    let r = SSL_write(ssl, p, Int32(n))
                    return r > 0 ? Int(r) : 0
                }
                let r = Glibc.send(fd, p, n, Int32(MSG_NOSIGNAL))
                return r > 0 ? r : 0
            }
            if w == 0 { break }
            sentOffset += w
            total += w
        }
        if sentOffset == outgoing.count && sentOffset > 1 << 20 {
            outgoing.removeAll(keepingCapacity: true)
            sentOffset = 0
        }
        return total
    }

    /// Reads everything available without blocking; returns false on EOF or error.
    @discardableResult
    func readAvailable(maxBytes: Int = Int.max) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var total = 0
        while total < maxBytes {
            let want = min(chunk.count, maxBytes - total)
            let n: Int = chunk.withUnsafeMutableBytes { raw in
                if let ssl {
                    ERR_clear_error()
                    let r = SSL_read(ssl, raw.baseAddress, Int32(want))
                    if r > 0 { return Int(r) }
                    let e = SSL_get_error(ssl, r)
                    if e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE { return 0 }
                    ERR_clear_error()
                    return -1
                }
                let r = Glibc.read(fd, raw.baseAddress, want)
                if r > 0 { return r }
                if r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return 0 }
                return -1
            }
            if n < 0 { sawEOF = true; return false }
            if n == 0 { return true }
            received += chunk[0..<n]
            total += n
        }
        return true
    }

    func waitReadable(milliseconds: Int32, alsoWritable: Bool) {
        if let ssl, SSL_pending(ssl) > 0 { return }
        var p = pollfd(fd: fd, events: Int16(POLLIN) | (alsoWritable ? Int16(POLLOUT) : 0), revents: 0)
        _ = poll(&p, 1, milliseconds)
    }

    /// Writes pending bytes and reads until `until()` holds, EOF, or the deadline.
    func pump(timeoutMilliseconds: Int64 = 20_000, until: (TestClient) -> Bool) -> End {
        let deadline = monotonicMilliseconds() + timeoutMilliseconds
        while !until(self) {
            if monotonicMilliseconds() > deadline { return .timeout }
            let wrote = writeSome()
            if !readAvailable() { return until(self) ? .done : .eof }
            if wrote == 0 && !until(self) { waitReadable(milliseconds: 20, alsoWritable: unsentBytes > 0) }
        }
        return .done
    }

    /// Reads until EOF (or the deadline); returns how it ended.
    func readUntilEOF(timeoutMilliseconds: Int64 = 10_000) -> End {
        let deadline = monotonicMilliseconds() + timeoutMilliseconds
        while true {
            if !readAvailable() { return .eof }
            if monotonicMilliseconds() > deadline { return .timeout }
            waitReadable(milliseconds: 20, alsoWritable: false)
        }
    }
}

/// Deterministic bytes for payload checks.
func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ ($0 >> 11)) }
}

/// Byte-array equality that reports sizes and the first difference instead of dumping megabytes.
func sameBytes(_ a: [UInt8], _ b: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
    if a == b { return true }
    let firstDiff = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) ?? min(a.count, b.count)
    Issue.record("byte arrays differ: \(a.count) vs \(b.count) bytes, first difference at \(firstDiff)", sourceLocation: sourceLocation)
    return false
}
