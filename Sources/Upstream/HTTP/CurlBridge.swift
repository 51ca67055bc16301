// CurlBridge: libcurl's handles and callbacks, the HTTP carrier's only unsafe code. Loop thread only.
// Invariants that make the unsafe code sound:
//  - CurlMulti's SOCKETDATA/TIMERDATA and each CurlEasy's WRITEDATA/PRIVATE hold unretained
//    pointers to the Swift object that owns the handle; curl calls back only from inside calls
//    those objects make (socket_action, add/remove_handle), so the object is alive then;
//  - CurlMulti keeps every attached CurlEasy alive (`attached`) until it removes it, so the
//    PRIVATE pointer read back for a finished transfer names a live object;
//  - CurlMulti.close() unsets both callbacks before it removes handles and calls curl_multi_cleanup,
//    which would otherwise call back during deinit; a CurlEasy is cleaned up only after it left its multi;
//  - a request body is copied into memory the CurlEasy owns and is replaced only while the easy is
//    not attached (curl reads CURLOPT_POSTFIELDS in place until the transfer ends);
//  - the header list outlives every easy that uses it (each easy holds a reference to it).

import CCurl

/// Once per process, before the first handle (curl_global_init is not thread-safe in older curls).
private let curlGlobal: Bool = curl_global_init(CCURL_GLOBAL_DEFAULT) == CURLE_OK

/// A curl_slist of request headers, shared by a carrier's easy handles.
final class CurlHeaders {
    fileprivate private(set) var list: UnsafeMutablePointer<curl_slist>?

    init(_ lines: [String]) {
        for line in lines { list = curl_slist_append(list, line) }
    }

    deinit { curl_slist_free_all(list) }
}

/// What an easy handle sends every time: set once, kept across reuses.
struct CurlRequestOptions {
    var url: String
    var caFile: String?
    var username: String?
    var password: String?
    var timeoutMs: Int64
    /// A response body larger than this fails the transfer (CURLE_WRITE_ERROR).
    var maximumResponseBytes: Int
}

/// One easy handle, reused request after request (its options stay; the body and response change).
final class CurlEasy {
    fileprivate let handle: UnsafeMutableRawPointer
    private let headers: CurlHeaders
    private var body: UnsafeMutableRawPointer?
    private var bodyCapacity = 0
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let maximumResponseBytes: Int
    fileprivate var isAttached = false
    /// The response body of the current (or last) transfer.
    private(set) var response: [UInt8] = []
    /// The carrier's slot index, or any tag its owner wants back.
    let tag: Int

    init?(tag: Int, options: CurlRequestOptions, headers: CurlHeaders) {
        guard curlGlobal, let handle = curl_easy_init() else { return nil }
        self.handle = handle
        self.headers = headers
        self.tag = tag
        maximumResponseBytes = options.maximumResponseBytes
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        response.reserveCapacity(4096)
        let me = Unmanaged.passUnretained(self).toOpaque()
        var ok = true
        func set(_ option: CURLoption, _ value: Int) { ok = ok && ccurl_easy_setopt_long(handle, option, value) == CURLE_OK }
        func set(_ option: CURLoption, _ value: String) { ok = ok && ccurl_easy_setopt_pointer(handle, option, value) == CURLE_OK }
        func set(_ option: CURLoption, pointer: UnsafeRawPointer?) {
            ok = ok && ccurl_easy_setopt_pointer(handle, option, pointer) == CURLE_OK
        }
        set(CURLOPT_URL, options.url)
        set(CURLOPT_PROTOCOLS_STR, "http,https")
        set(CURLOPT_POST, 1)
        set(CURLOPT_HTTP_VERSION, CCURL_HTTP_VERSION_1_1)
        // Timeouts without signals: the loop thread must never see SIGALRM.
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_TIMEOUT_MS, Int(options.timeoutMs))
        set(CURLOPT_CONNECTTIMEOUT_MS, Int(options.timeoutMs))
        set(CURLOPT_TCP_NODELAY, 1)
        set(CURLOPT_HTTPHEADER, pointer: headers.list.map { UnsafeRawPointer($0) })
        set(CURLOPT_ERRORBUFFER, pointer: UnsafeRawPointer(errorBuffer))
        set(CURLOPT_PRIVATE, pointer: UnsafeRawPointer(me))
        if let caFile = options.caFile { set(CURLOPT_CAINFO, caFile) }
        if let user = options.username, let password = options.password {
            set(CURLOPT_HTTPAUTH, CCURLAUTH_BASIC)
            set(CURLOPT_USERNAME, user)
            set(CURLOPT_PASSWORD, password)
        }
        ok = ok && ccurl_easy_setopt_writefunction(handle, { data, size, count, user in
            let easy = Unmanaged<CurlEasy>.fromOpaque(user!).takeUnretainedValue()
            return easy.received(UnsafeRawBufferPointer(start: data, count: size * count))
        }, me) == CURLE_OK
        if !ok {
            curl_easy_cleanup(handle)
            errorBuffer.deallocate()
            return nil
        }
    }

    deinit {
        precondition(!isAttached, "CurlEasy released while its multi still runs it")
        curl_easy_cleanup(handle)
        body?.deallocate()
        errorBuffer.deallocate()
    }

    /// Sets the next request's body (copied into the handle's own buffer, reused) and forgets
    /// the last response. Only while not attached.
    func prepare(body bytes: [UInt8]) {
        precondition(!isAttached, "CurlEasy.prepare while a transfer runs")
        if bytes.count > bodyCapacity {
            body?.deallocate()
            bodyCapacity = max(bytes.count, bodyCapacity * 2, 4096)
            body = .allocate(byteCount: bodyCapacity, alignment: 16)
        }
        if let body, !bytes.isEmpty {
            bytes.withUnsafeBytes { body.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        _ = ccurl_easy_setopt_long(handle, CURLOPT_POSTFIELDSIZE, bytes.count)
        _ = ccurl_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeRawPointer(body))
        response.removeAll(keepingCapacity: true)
        errorBuffer[0] = 0
    }

    private func received(_ chunk: UnsafeRawBufferPointer) -> Int {
        // Returning less than offered makes curl fail the transfer (CURLE_WRITE_ERROR).
        guard response.count + chunk.count <= maximumResponseBytes else { return 0 }
        response.append(contentsOf: chunk)
        return chunk.count
    }

    /// The HTTP status of the last response (0 when none arrived).
    var responseCode: Int {
        var code = 0
        _ = ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    /// Why a transfer failed: curl's detailed message when it wrote one, else its code's text.
    func failureText(_ code: CURLcode) -> String {
        errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
    }
}

/// A curl multi handle driven by socket readiness and one timer (curl_multi_socket_action).
final class CurlMulti {
    private var handle: UnsafeMutableRawPointer?
    private var attached: [CurlEasy] = []
    /// curl wants `fd` watched for `what` (CCURL_POLL_IN / OUT / INOUT / REMOVE).
    var onSocket: (_ fd: Int32, _ what: Int32) -> Void = { _, _ in }
    /// curl wants socketAction(timeout) after `ms` (0: soon, not from inside the callback; -1: never).
    var onTimer: (_ ms: Int) -> Void = { _ in }

    init?(maximumConnections: Int) {
        guard curlGlobal, let handle = curl_multi_init() else { return nil }
        self.handle = handle
        attached.reserveCapacity(maximumConnections)
        let me = Unmanaged.passUnretained(self).toOpaque()
        var ok = ccurl_multi_setopt_socketfunction(handle, { _, fd, what, user, _ in
            Unmanaged<CurlMulti>.fromOpaque(user!).takeUnretainedValue().onSocket(fd, what)
            return 0
        }, me) == CURLM_OK
        ok = ok && ccurl_multi_setopt_timerfunction(handle, { _, ms, user in
            Unmanaged<CurlMulti>.fromOpaque(user!).takeUnretainedValue().onTimer(ms)
            return 0
        }, me) == CURLM_OK
        // Keep-alive: as many cached connections as requests may run at once, all to one host.
        ok = ok && ccurl_multi_setopt_long(handle, CURLMOPT_MAXCONNECTS, maximumConnections) == CURLM_OK
        ok = ok && ccurl_multi_setopt_long(handle, CURLMOPT_MAX_HOST_CONNECTIONS, maximumConnections) == CURLM_OK
        if !ok {
            curl_multi_cleanup(handle)
            return nil
        }
    }

    deinit { close() }

    /// Starts the easy's transfer. False when curl refuses it.
    func add(_ easy: CurlEasy) -> Bool {
        guard let handle, !easy.isAttached else { return false }
        easy.isAttached = true
        attached.append(easy)
        if curl_multi_add_handle(handle, easy.handle) != CURLM_OK {
            detach(easy)
            return false
        }
        return true
    }

    /// Ends the easy's transfer, finished or not (curl keeps the connection if it can).
    func remove(_ easy: CurlEasy) {
        guard let handle, easy.isAttached else { return }
        curl_multi_remove_handle(handle, easy.handle)
        detach(easy)
    }

    private func detach(_ easy: CurlEasy) {
        easy.isAttached = false
        if let i = attached.firstIndex(where: { $0 === easy }) { attached.swapAt(i, attached.count - 1); attached.removeLast() }
    }

    /// Tells curl that `fd` is ready (CCURL_CSELECT_IN / OUT bits).
    func socketAction(fd: Int32, events: Int32) {
        guard let handle else { return }
        var running: Int32 = 0
        curl_multi_socket_action(handle, fd, events, &running)
    }

    /// Tells curl its timer expired.
    func timeoutAction() { socketAction(fd: CCURL_SOCKET_TIMEOUT, events: 0) }

    /// The next finished transfer, removed from the multi: the easy and curl's result code.
    func nextDone() -> (easy: CurlEasy, code: CURLcode)? {
        guard let handle else { return nil }
        var raw: UnsafeMutableRawPointer?
        var code = CURLE_OK
        while ccurl_multi_next_done(handle, &raw, &code) == 1 {
            var me: UnsafeMutableRawPointer?
            guard let raw, ccurl_easy_getinfo_private(raw, &me) == CURLE_OK, let me else { continue }
            let easy = Unmanaged<CurlEasy>.fromOpaque(me).takeUnretainedValue()
            guard easy.isAttached else { continue }
            remove(easy)
            return (easy, code)
        }
        return nil
    }

    /// Ends every transfer and frees the multi (its cached connections close). The owner stops
    /// watching curl's sockets first: they close here without a CURL_POLL_REMOVE.
    func close() {
        guard let handle else { return }
        // Callbacks off first: neither the removals nor the cleanup may call back into Swift
        // (the owner may be closing from its deinit).
        _ = ccurl_multi_setopt_socketfunction(handle, nil, nil)
        _ = ccurl_multi_setopt_timerfunction(handle, nil, nil)
        for easy in attached {
            curl_multi_remove_handle(handle, easy.handle)
            easy.isAttached = false
        }
        attached.removeAll()
        curl_multi_cleanup(handle)
        self.handle = nil
    }
}
