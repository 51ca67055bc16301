// HiredisConnection: one hiredis 0.14 async context (one TCP connection to Redis) on the loop,
// its socket driven by a Reactor SocketWatcher. RedisClient's only unsafe code. Loop thread only.
// Unsafe code; the invariants that make it sound:
//  - `ac.data` and `ac.ev.data` hold unretained pointers to this object, and the object outlives
//    the context: it is freed (close(), also run by deinit) before the object goes, and
//    hiredis's cleanup hook, which runs once while hiredis frees the context whoever started
//    it, clears both pointers and every hook, so nothing reaches the object after;
//  - hiredis calls back only from inside the hiredis calls this object makes (HandleRead/Write
//    from the watcher, CommandArgv, SetConnectCallback, Free), and those callbacks only record:
//    a reply converted at once (hiredis frees it when the callback returns), "connected", the
//    reason the context went. The owner hears of them after the hiredis call returned, so its
//    code (the user's completions) never runs inside a hiredis frame and never frees the
//    context under hiredis (0.14's redisAsyncFree from the connect callback frees it under
//    redisAsyncHandleWrite: a use after free); close() checks it in debug builds;
//  - argv pointers point into `scratch` for the duration of redisAsyncCommandArgv (hiredis copies
//    the bytes into its output buffer before returning).

#if canImport(Glibc)
import Glibc
#endif
import CHiredis
import Reactor

/// What a connection tells its owner, always after the hiredis call that produced it returned.
protocol HiredisConnectionDelegate: AnyObject {
    func connectionEstablished(_ connection: HiredisConnection)
    func connection(_ connection: HiredisConnection, received reply: RedisReply)
    func connection(_ connection: HiredisConnection, closed reason: String)
}

struct HiredisConnectFailure: Error {
    let reason: String
}

// Why not hiredis's adapters/libev.h (redisLibevAttach): it would need Reactor's `struct ev_loop *`,
// which Reactor keeps internal, and it keeps hiredis's cleanup hook for itself; that hook is the
// one signal that hiredis is freeing the context on every path (our redisAsyncFree, the server
// closing, a failed connect), which is what lets this object know when its pointers die. With
// our own five hooks the socket is an ordinary SocketWatcher under Reactor's invariants.
final class HiredisConnection {
    private var context: UnsafeMutablePointer<redisAsyncContext>?
    private var watcher: SocketWatcher?
    weak var delegate: HiredisConnectionDelegate?
    /// Set by close(), or once the delegate heard `closed`: nothing more is delivered.
    private(set) var isDetached = false
    /// Depth of hiredis calls in progress (close() must not run inside one).
    private var hiredisCalls = 0

    // Recorded inside hiredis callbacks, delivered once the hiredis call returned.
    private var connectedSeen = false
    private var replies: [RedisReply] = []
    private var closeReason: String?

    // argv, reused from command to command: all arguments' bytes back to back, their lengths,
    // and pointers into the bytes.
    private var scratch: [UInt8] = []
    private var lengths: [Int] = []
    private var pointers: [UnsafePointer<CChar>?] = []

    /// Starts a non-blocking connect to `ip` (an IP literal: hiredis calls getaddrinfo, which
    /// does not block for a literal) and `port`. Throws when hiredis fails at once (no socket).
    init(loop: EventLoop, ip: String, port: Int, delegate: HiredisConnectionDelegate) throws(HiredisConnectFailure) {
        self.delegate = delegate
        guard let ac = redisAsyncConnect(ip, Int32(clamping: port)) else {
            throw HiredisConnectFailure(reason: "hiredis: out of memory")
        }
        if ac.pointee.err != 0 {
            let reason = String(cString: chiredis_errstr(ac))
            redisAsyncFree(ac)   // nothing attached: no callbacks
            throw HiredisConnectFailure(reason: reason)
        }
        context = ac
        replies.reserveCapacity(256)
        let me = Unmanaged.passUnretained(self).toOpaque()
        ac.pointee.data = me
        watcher = SocketWatcher(loop: loop, fd: chiredis_fd(ac), events: []) { [unowned self] events in
            self.ready(events)
        }
        ac.pointee.ev.data = me
        ac.pointee.ev.addRead = { HiredisConnection.from($0)?.watch(.readable, true) }
        ac.pointee.ev.delRead = { HiredisConnection.from($0)?.watch(.readable, false) }
        ac.pointee.ev.addWrite = { HiredisConnection.from($0)?.watch(.writable, true) }
        ac.pointee.ev.delWrite = { HiredisConnection.from($0)?.watch(.writable, false) }
        ac.pointee.ev.cleanup = { HiredisConnection.from($0)?.contextFreed() }
        // After the hooks: this arms the write hook (hiredis sees the connect complete on the
        // first write event). A failed connect needs nothing here: the cleanup hook follows it.
        hiredisCalls += 1
        _ = redisAsyncSetConnectCallback(ac) { ac, status in
            guard status == REDIS_OK, let data = ac?.pointee.data else { return }
            Unmanaged<HiredisConnection>.fromOpaque(data).takeUnretainedValue().connectedSeen = true
        }
        hiredisCalls -= 1
    }

    deinit { close() }

    private static func from(_ data: UnsafeMutableRawPointer?) -> HiredisConnection? {
        guard let data else { return nil }
        return Unmanaged<HiredisConnection>.fromOpaque(data).takeUnretainedValue()
    }

    /// The context is alive and not closed by us: commands may be sent.
    var isOpen: Bool { context != nil && !isDetached }

    /// Appends one command to hiredis's output buffer (written when the socket is writable).
    /// False when hiredis refuses it (the context is closing or gone).
    func send(_ arguments: [RedisArgument]) -> Bool {
        guard let ac = context, !isDetached else { return false }
        scratch.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        for argument in arguments {
            scratch.append(contentsOf: argument.bytes)
            lengths.append(argument.bytes.count)
        }
        scratch.append(0)   // never empty, so the buffer has an address even for "" arguments
        hiredisCalls += 1
        defer { hiredisCalls -= 1 }
        let status: Int32 = scratch.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
            pointers.removeAll(keepingCapacity: true)
            var offset = 0
            for length in lengths {
                pointers.append(base + offset)
                offset += length
            }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { argvlen in
                    redisAsyncCommandArgv(ac, { ac, reply, _ in
                        // A nil reply: hiredis is freeing the context and flushes its callbacks;
                        // the cleanup hook that follows reports it.
                        guard let reply, let data = ac?.pointee.data else { return }
                        let me = Unmanaged<HiredisConnection>.fromOpaque(data).takeUnretainedValue()
                        me.replies.append(RedisReply(reply.assumingMemoryBound(to: redisReply.self)))
                    }, nil, Int32(argv.count), argv.baseAddress, argvlen.baseAddress)
                }
            }
        }
        return status == REDIS_OK
    }

    /// Frees the context now (hiredis closes the socket); the delegate hears nothing more.
    /// Never from inside a hiredis callback (nothing of ours runs there).
    func close() {
        isDetached = true
        guard let ac = context else { return }
        assert(hiredisCalls == 0, "HiredisConnection.close() inside a hiredis call")
        hiredisCalls += 1
        redisAsyncFree(ac)   // runs the cleanup hook before it returns
        hiredisCalls -= 1
        assert(context == nil, "hiredis freed the context without its cleanup hook")
    }

    // MARK: hiredis's side

    private func watch(_ events: SocketWatcher.Events, _ on: Bool) {
        guard let watcher else { return }
        watcher.set(events: on ? watcher.events.union(events) : watcher.events.subtracting(events))
    }

    /// hiredis's cleanup hook: the context is being freed (after its pending callbacks got nil
    /// replies, before redisFree). Nothing may reach this object through it afterwards.
    private func contextFreed() {
        guard let ac = context else { return }
        watcher?.stop()
        if !isDetached && closeReason == nil {
            let text = String(cString: chiredis_errstr(ac))
            closeReason = text.isEmpty ? "connection closed" : text
        }
        ac.pointee.ev.addRead = nil
        ac.pointee.ev.delRead = nil
        ac.pointee.ev.addWrite = nil
        ac.pointee.ev.delWrite = nil
        ac.pointee.ev.cleanup = nil
        ac.pointee.ev.data = nil
        ac.pointee.onConnect = nil
        ac.pointee.data = nil
        context = nil
    }

    /// The socket is ready: let hiredis read or write, then deliver what it produced.
    private func ready(_ events: SocketWatcher.Events) {
        guard let ac = context else { return }
        hiredisCalls += 1
        if events.contains(.readable) { redisAsyncHandleRead(ac) } else { redisAsyncHandleWrite(ac) }
        hiredisCalls -= 1
        // `ac` may be freed now (then `context` is nil): only recorded events from here on.
        deliver()
    }

    private func deliver() {
        if connectedSeen {
            connectedSeen = false
            if !isDetached { delegate?.connectionEstablished(self) }
        }
        // Index loop: a delegate call may close this connection (isDetached stops the rest).
        var i = 0
        while i < replies.count && !isDetached {
            let reply = replies[i]
            i += 1
            delegate?.connection(self, received: reply)
        }
        replies.removeAll(keepingCapacity: true)
        if let reason = closeReason, !isDetached {
            closeReason = nil
            isDetached = true
            delegate?.connection(self, closed: reason)
        }
    }
}

// MARK: - redisReply → RedisReply

extension RedisReply {
    /// Copies a hiredis reply (recursively). Only inside the reply callback: hiredis frees it after.
    init(_ r: UnsafePointer<redisReply>) {
        let reply = r.pointee
        switch reply.type {
        case REDIS_REPLY_STRING:
            self = .bulk(Self.bytes(reply.str, reply.len))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(reply.elements)
            for i in 0..<reply.elements {
                if let element = reply.element[i] { elements.append(RedisReply(element)) } else { elements.append(.null) }
            }
            self = .array(elements)
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(reply.integer))
        case REDIS_REPLY_STATUS:
            self = .status(String(decoding: Self.bytes(reply.str, reply.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: Self.bytes(reply.str, reply.len), as: UTF8.self))
        default:   // REDIS_REPLY_NIL
            self = .null
        }
    }

    private static func bytes(_ p: UnsafeMutablePointer<CChar>?, _ count: Int) -> [UInt8] {
        guard let p, count > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: count))
    }
}

// MARK: - name resolution (once, at RedisClient's init)

extension HiredisConnection {
    /// `host` itself when it is an IPv4/IPv6 literal, else the first address getaddrinfo gives
    /// for it, as a literal. Blocks the calling thread for a name: call it once, never on the
    /// running loop.
    static func resolve(_ host: String) -> Result<String, HiredisConnectFailure> {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 { return .success(host) }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &list)
        guard rc == 0, let first = list, let address = first.pointee.ai_addr else {
            return .failure(HiredisConnectFailure(reason: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))"))
        }
        defer { freeaddrinfo(list) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let converted: Bool
        if first.pointee.ai_family == AF_INET {
            var sin = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
            converted = inet_ntop(AF_INET, &sin.sin_addr, &text, socklen_t(text.count)) != nil
        } else {
            var sin6 = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
            converted = inet_ntop(AF_INET6, &sin6.sin6_addr, &text, socklen_t(text.count)) != nil
        }
        guard converted else { return .failure(HiredisConnectFailure(reason: "cannot resolve \(host): inet_ntop failed")) }
        return .success(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
