// The admin HTTP listener on GNU libmicrohttpd (its own polling thread). A request is read on
// that thread, handed to the loop thread through a Mutex-protected list and a Doorbell, and
// answered there by the handler; the HTTP thread waits (bounded) for the reply. So the handler
// may touch everything the loop owns, and no HTTP parsing is ours.
// Unsafe code (allowlisted, STYLE 9.3). Invariants: the MHD daemon gets an unretained pointer
// to this server, which stops the daemon before it is freed; a request's upload buffer is
// retained into libmicrohttpd's per-request slot once and released exactly once, in the
// completion callback; a PendingAdminRequest's semaphore lives as long as the request, and its
// `response` is written before `done` is posted and read only after the wait (@unchecked Sendable).
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Reactor
import Synchronization

public struct AdminRequest: Sendable {
    public var method: String
    public var path: String
    public var body: [UInt8]
    public var authorization: String?
}

public struct AdminResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// The journal batch that must be durable before this answer leaves (0: none): a 2xx
    /// that reports a change is a promise about what a restart will find.
    public var durableBatch: UInt64 = 0
    /// The Allow header of a 405 answer: the methods the path takes.
    public var allow: String?

    public init(status: Int, contentType: String, body: [UInt8], allow: String? = nil) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.allow = allow
    }

    /// Any JSON document.
    public static func json(_ status: Int, _ value: JSONOut) -> AdminResponse {
        AdminResponse(status: status, contentType: "application/json", body: Array((value.text + "\n").utf8))
    }

    /// A flat JSON object of strings.
    public static func json(_ status: Int, _ object: [String: String]) -> AdminResponse {
        let fields = object.keys.sorted().map { "\(AdminJSON.quote($0)):\(AdminJSON.quote(object[$0]!))" }
        return AdminResponse(status: status, contentType: "application/json", body: Array(("{" + fields.joined(separator: ",") + "}\n").utf8))
    }

    public static func text(_ status: Int, _ body: String, contentType: String = "text/plain; version=0.0.4; charset=utf-8") -> AdminResponse {
        AdminResponse(status: status, contentType: contentType, body: Array(body.utf8))
    }
}

/// One request waiting for the loop's answer. Crosses threads: `response` is written by the
/// loop before `done` is posted, and read by the HTTP thread after it waited on `done`.
final class PendingAdminRequest: @unchecked Sendable {
    let request: AdminRequest
    var response: AdminResponse?
    let done = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    init(_ request: AdminRequest) {
        self.request = request
        sem_init(done, 0, 0)
    }
    deinit {
        sem_destroy(done)
        done.deallocate()
    }
}

/// Per-request upload accumulator, owned by libmicrohttpd's request context slot.
final class UploadBuffer {
    var bytes: [UInt8] = []
    var tooLarge = false
}

public final class AdminServer: @unchecked Sendable {
    // @unchecked: `queue` is Mutex-protected, `isStopping` atomic, `doorbell` only rung from
    // the HTTP thread; `handler`, `daemon` and `stop()` belong to the loop thread.
    public private(set) var boundEndpoint: Endpoint
    private let handler: (AdminRequest) -> AdminResponse
    /// HTTP thread: waits until a journal batch is durable; false when it did not become so
    /// in time. nil in memory mode.
    private let waitForDurable: (@Sendable (UInt64, Duration) -> Bool)?
    private let token: [UInt8]?
    private let replyTimeout: Duration
    private let queue = Mutex<[PendingAdminRequest]>([])
    private let isStopping = Atomic<Bool>(false)
    private var doorbell: Doorbell!
    private var daemon: OpaquePointer?
    static let maxBodyBytes = 64 * 1024

    /// Binds `endpoint` (port 0 = any). `token`: when set, every request needs
    /// `Authorization: Bearer <token>` (else 401). `handler` runs on the loop thread.
    public init(loop: EventLoop, endpoint: Endpoint, token: String?, replyTimeout: Duration = .seconds(5),
                waitForDurable: (@Sendable (UInt64, Duration) -> Bool)? = nil,
                handler: @escaping (AdminRequest) -> AdminResponse) throws {
        self.handler = handler
        self.waitForDurable = waitForDurable
        self.token = token.map { Array("Bearer \($0)".utf8) }
        self.replyTimeout = replyTimeout
        boundEndpoint = endpoint
        doorbell = Doorbell(loop: loop) { [unowned self] in self.answerPending() }
        let host = endpoint.host.hasPrefix("[") ? String(endpoint.host.dropFirst().dropLast()) : endpoint.host
        let me = Unmanaged.passUnretained(self).toOpaque()
        guard let d = shim_mhd_start(host == "localhost" ? "127.0.0.1" : host, endpoint.port, { ctx, connection, url, method, upload, size, slot in
            Unmanaged<AdminServer>.fromOpaque(ctx!).takeUnretainedValue()
                .serve(connection, url: url, method: method, upload: upload, size: size, slot: slot)
        }, me) else {
            throw ReactorError.system(call: "MHD_start_daemon(\(endpoint))", errno: errno)
        }
        daemon = d
        boundEndpoint = Endpoint(host: endpoint.host, port: shim_mhd_bound_port(d))
    }

    /// Loop thread: answers whatever waits with 503 and stops the HTTP thread.
    public func stop() {
        guard !isStopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        answerPending(stopping: true)
        if let d = daemon { shim_mhd_stop(d) }
        daemon = nil
    }

    deinit { stop() }

    // MARK: HTTP thread

    private func serve(_ c: OpaquePointer?, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
                       upload: UnsafePointer<CChar>?, size: UnsafeMutablePointer<Int>?,
                       slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
        guard let slot, let size else { return 0 }
        if slot.pointee == nil {   // first call: headers only
            slot.pointee = Unmanaged.passRetained(UploadBuffer()).toOpaque()
            return 1
        }
        let buffer = Unmanaged<UploadBuffer>.fromOpaque(slot.pointee!).takeUnretainedValue()
        if size.pointee > 0 {       // a chunk of the body
            if buffer.bytes.count + size.pointee > Self.maxBodyBytes { buffer.tooLarge = true }
            if !buffer.tooLarge, let upload {
                upload.withMemoryRebound(to: UInt8.self, capacity: size.pointee) {
                    buffer.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: size.pointee))
                }
            }
            size.pointee = 0
            return 1
        }
        // The whole request is in: answer it, then release our slot.
        Unmanaged<UploadBuffer>.fromOpaque(slot.pointee!).release()
        slot.pointee = nil
        let response = respond(c, url: url.map { String(cString: $0) } ?? "/", method: method.map { String(cString: $0) } ?? "GET",
                               buffer: buffer)
        return response.body.withUnsafeBytes { b in
            shim_mhd_respond(c, UInt32(response.status), response.contentType, response.allow, b.baseAddress, b.count)
        }
    }

    private func respond(_ c: OpaquePointer?, url: String, method: String, buffer: UploadBuffer) -> AdminResponse {
        if buffer.tooLarge { return .json(413, ["error": "body larger than 64 KiB"]) }
        let authorization = shim_mhd_header(c, "Authorization").map { String(cString: $0) }
        if let token {
            let given = Array((authorization ?? "").utf8)
            let same = given.count == token.count && CRYPTO_memcmp(given, token, token.count) == 0
            if !same { return .json(401, ["error": "missing or wrong bearer token"]) }
        }
        if isStopping.load(ordering: .acquiring) { return .json(503, ["error": "shutting down"]) }
        let pending = PendingAdminRequest(AdminRequest(method: method, path: url, body: buffer.bytes, authorization: authorization))
        queue.withLock { $0.append(pending) }
        doorbell.ring()
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let (s, atto) = replyTimeout.components
        let ns = Int(deadline.tv_nsec) + Int(atto / 1_000_000_000)
        deadline.tv_sec += Int(s) + ns / 1_000_000_000
        deadline.tv_nsec = ns % 1_000_000_000
        while sem_timedwait(pending.done, &deadline) != 0 {
            if errno == EINTR { continue }
            // Timed out: take it back if the loop has not, so nobody answers it later.
            let removed = queue.withLock { q -> Bool in
                guard let i = q.firstIndex(where: { $0 === pending }) else { return false }
                q.remove(at: i)
                return true
            }
            if removed { return .json(503, ["error": "the server did not answer in time"]) }
            while sem_wait(pending.done) != 0 && errno == EINTR {}   // the loop holds it: wait for its answer
            break
        }
        guard let response = pending.response else { return .json(503, ["error": "no answer"]) }
        if response.durableBatch > 0, let waitForDurable, !waitForDurable(response.durableBatch, replyTimeout) {
            return .json(503, ["error": "the change is not on disk yet (the message store is slow or failing); it may still take effect"])
        }
        return response
    }

    // MARK: Loop thread

    private func answerPending(stopping: Bool = false) {
        let batch = queue.withLock { q -> [PendingAdminRequest] in
            let out = q
            q.removeAll()
            return out
        }
        for p in batch {
            p.response = stopping ? .json(503, ["error": "shutting down"]) : handler(p.request)
            sem_post(p.done)
        }
    }
}
