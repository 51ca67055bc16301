// Sys: every syscall the Reactor makes, in one file (swift-system / NIO System.swift habit).
// EINTR is retried here and nowhere else; would-block is a value, not an error; EBADF/EFAULT/
// EINVAL on an fd we own are our bugs and trap. Any thread may call these; they hold no state.
// Unsafe code (allowlisted, STYLE 9.3): sockaddr and mmap pointers never leave this file except
// as the mirrored ring mapping handed to RingBuffer.

#if canImport(Glibc)
import Glibc
#endif
import CShims

/// Outcome of a nonblocking read or write on a plaintext socket.
enum SysIO {
    case bytes(Int)
    case wouldBlock
    case eof
    case failed(errno: Int32)
}

/// Syscall wrappers. Public members are for the daemon's start-up; the rest is internal.
public enum Sys {
    /// Raises the soft RLIMIT_NOFILE to the hard limit (call once at start-up; 10,000 sessions
    /// need more than the usual 1,024). Returns the new soft limit.
    @discardableResult
    public static func raiseFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return -1 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// `strerror` as a Swift string.
    public static func describe(errno code: Int32) -> String {
        String(cString: strerror(code))
    }

    static let pageSize: Int = Int(sysconf(Int32(_SC_PAGESIZE)))

    static var lastErrno: Int32 { errno }

    // MARK: sockets

    /// A nonblocking, close-on-exec listening TCP socket bound to `endpoint` (port 0 = any).
    /// `reusePort` sets SO_REUSEPORT before bind: processes that all set it share the port
    /// (the kernel spreads new connections over their sockets). Throws `ReactorError.system`
    /// naming the failing call.
    static func listen(on endpoint: Endpoint, backlog: Int32, reusePort: Bool = false) throws(ReactorError) -> (fd: Int32, bound: Endpoint) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let host: String? = endpoint.host.isEmpty ? nil : endpoint.host
        let rc = getaddrinfo(host, String(endpoint.port), &hints, &list)
        guard rc == 0, let first = list else {
            throw .invalidArgument("cannot resolve listen address \(endpoint): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }

        let ai = first.pointee
        let fd = socket(ai.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(call: "socket", errno: errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort {
            guard setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                let e = errno
                Glibc.close(fd)
                throw .system(call: "setsockopt SO_REUSEPORT \(endpoint)", errno: e)
            }
        }
        guard bind(fd, ai.ai_addr, ai.ai_addrlen) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw .system(call: "bind \(endpoint)", errno: e)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw .system(call: "listen \(endpoint)", errno: e)
        }
        guard let bound = localEndpoint(fd) else {
            let e = errno
            Glibc.close(fd)
            throw .system(call: "getsockname", errno: e)
        }
        return (fd, bound)
    }

    enum AcceptResult {
        /// The socket, and its peer's address as accept gave it.
        case accepted(Int32, peer: Endpoint?)
        case wouldBlock
        /// Out of fds or memory: stop accepting for a moment (the socket stays readable).
        case exhausted(errno: Int32)
        /// The peer went away before we accepted (ECONNABORTED, EPROTO...): try the next one.
        case skip
    }

    static func accept(_ listenFD: Int32) -> AcceptResult {
        while true {
            var storage = sockaddr_storage()
            var len = UInt32(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { shim_accept4(listenFD, $0, &len) }
            }
            if fd >= 0 { return .accepted(fd, peer: endpoint(from: &storage)) }
            let e = errno
            switch e {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .exhausted(errno: e)
            case EBADF, EFAULT, EINVAL, ENOTSOCK, EOPNOTSUPP:
                preconditionFailure("accept4 on listening fd \(listenFD): \(describe(errno: e))")
            default: return .skip
            }
        }
    }

    enum ConnectResult {
        /// Connected at once (common on loopback).
        case connected(Int32)
        /// Nonblocking connect under way: wait for EV_WRITE, then check socketError(fd).
        case inProgress(Int32)
    }

    /// Calls `body` with the first address getaddrinfo gives for `endpoint` (a stream
    /// socket; the lookup blocks). Throws naming the endpoint when it does not resolve.
    private static func withFirstAddress<R>(_ endpoint: Endpoint, _ body: (addrinfo) throws(ReactorError) -> R) throws(ReactorError) -> R {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(endpoint.host.isEmpty ? "127.0.0.1" : endpoint.host, String(endpoint.port), &hints, &list)
        guard rc == 0, let first = list else {
            throw .invalidArgument("cannot resolve \(endpoint): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        return try body(first.pointee)
    }

    /// `endpoint` with its host name looked up (blocking) and replaced by the first address's
    /// numeric form, so that later connects do not block the loop on DNS.
    static func resolve(_ endpoint: Endpoint) throws(ReactorError) -> Endpoint {
        try withFirstAddress(endpoint) { ai throws(ReactorError) in
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let n = getnameinfo(ai.ai_addr, ai.ai_addrlen, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST)
            guard n == 0 else { throw .invalidArgument("cannot resolve \(endpoint.host): \(String(cString: gai_strerror(n)))") }
            return Endpoint(host: String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self),
                            port: endpoint.port)
        }
    }

    /// A nonblocking, close-on-exec TCP socket connecting to `endpoint` (first address
    /// getaddrinfo returns; the name lookup itself blocks). Throws naming the failing call.
    static func connect(to endpoint: Endpoint) throws(ReactorError) -> ConnectResult {
        try withFirstAddress(endpoint) { ai throws(ReactorError) in
            let fd = socket(ai.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw .system(call: "socket", errno: errno) }
            while true {
                if Glibc.connect(fd, ai.ai_addr, ai.ai_addrlen) == 0 { return .connected(fd) }
                let e = errno
                if e == EINTR { continue }
                if e == EINPROGRESS { return .inProgress(fd) }
                Glibc.close(fd)
                throw .system(call: "connect \(endpoint)", errno: e)
            }
        }
    }

    /// SO_ERROR of a socket whose nonblocking connect reported writable (0 = connected).
    static func socketError(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &len) == 0 else { return errno }
        return code
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    static func close(_ fd: Int32) {
        // Linux closes the fd even when close() reports EINTR: never retry.
        _ = Glibc.close(fd)
    }

    /// Nonblocking read of up to `count` bytes into `buffer`.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int) -> SysIO {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .eof }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            precondition(e != EBADF && e != EFAULT, "read fd \(fd): \(describe(errno: e))")
            return .failed(errno: e)
        }
    }

    /// Nonblocking read of at most `count` bytes, appended to `bytes`. For the few bytes read
    /// before a connection has rings (the PROXY header): it allocates.
    static func read(_ fd: Int32, appendingTo bytes: inout [UInt8], count: Int) -> SysIO {
        precondition(count > 0, "read of \(count) bytes")
        var chunk = [UInt8](repeating: 0, count: count)
        let result = chunk.withUnsafeMutableBytes { read(fd, into: $0.baseAddress!, count: count) }
        if case let .bytes(n) = result { bytes += chunk[..<n] }
        return result
    }

    /// Nonblocking send of up to `count` bytes; MSG_NOSIGNAL so a dead peer is EPIPE, not SIGPIPE.
    static func write(_ fd: Int32, from buffer: UnsafeRawPointer, count: Int) -> SysIO {
        while true {
            let n = send(fd, buffer, count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return .bytes(n) }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            precondition(e != EBADF && e != EFAULT, "send fd \(fd): \(describe(errno: e))")
            return .failed(errno: e)
        }
    }

    static func localEndpoint(_ fd: Int32) -> Endpoint? {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return rc == 0 ? endpoint(from: &storage) : nil
    }

    static func peerEndpoint(_ fd: Int32) -> Endpoint? {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &len) }
        }
        return rc == 0 ? endpoint(from: &storage) : nil
    }

    private static func endpoint(from storage: inout sockaddr_storage) -> Endpoint? {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin_addr
                    guard inet_ntop(AF_INET, &addr, &text, socklen_t(text.count)) != nil else { return nil }
                    return Endpoint(host: cString(text), port: UInt16(bigEndian: sin.pointee.sin_port))
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    var addr = sin6.pointee.sin6_addr
                    guard inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count)) != nil else { return nil }
                    return Endpoint(host: cString(text), port: UInt16(bigEndian: sin6.pointee.sin6_port))
                }
            }
        default:
            return nil
        }
    }

    /// The 4 (IPv4) or 16 (IPv6) bytes of a numeric address ("10.1.2.3", "::1", no brackets,
    /// no port), as inet_pton reads it; nil for anything else.
    public static func numericAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// inet_ntop's text for 4 or 16 address bytes (the form getpeername's peers are logged
    /// in); nil for any other count.
    public static func addressText(_ bytes: [UInt8]) -> String? {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch bytes.count {
        case 4:
            var v4 = in_addr()
            withUnsafeMutableBytes(of: &v4) { $0.copyBytes(from: bytes) }
            guard inet_ntop(AF_INET, &v4, &text, socklen_t(text.count)) != nil else { return nil }
        case 16:
            var v6 = in6_addr()
            withUnsafeMutableBytes(of: &v6) { $0.copyBytes(from: bytes) }
            guard inet_ntop(AF_INET6, &v6, &text, socklen_t(text.count)) != nil else { return nil }
        default:
            return nil
        }
        return cString(text)
    }

    /// A NUL-terminated C buffer as a String.
    static func cString(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    // MARK: mirrored ring memory

    /// Maps `size` bytes (a multiple of the page size) twice, back to back, over the same pages:
    /// [base, base+size) and [base+size, base+2*size) alias, so any `size`-long window starting
    /// inside the first half is contiguous. Backed by a memfd whose fd is closed before returning
    /// (the mappings keep the pages alive), so a ring costs no file descriptor. Pages are
    /// allocated on first touch. Returns nil with errno set on failure.
    static func mapMirrored(size: Int) -> UnsafeMutableRawPointer? {
        precondition(size > 0 && size % pageSize == 0, "mirrored size must be a page multiple")
        let fd = shim_memfd_create("smppd-ring")
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else { return nil }
        // Reserve 2*size of address space first, so both halves land exactly where we want them.
        let failed = UnsafeMutableRawPointer(bitPattern: -1)  // MAP_FAILED, which Swift cannot import
        guard let base = mmap(nil, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
              base != failed
        else { return nil }
        for half in [base, base + size] {
            let mapped = mmap(half, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0)
            if mapped == failed || mapped != half {
                let e = errno
                munmap(base, 2 * size)
                errno = e
                return nil
            }
        }
        return base
    }

    static func unmapMirrored(_ base: UnsafeMutableRawPointer, size: Int) {
        let rc = munmap(base, 2 * size)
        precondition(rc == 0, "munmap of a ring failed: \(describe(errno: errno))")
    }

    /// Frees the shared pages under [start, start+length) (a hole punch: the next touch gets a
    /// zero page). Both mirror halves see it. Page-aligned arguments only.
    static func releasePages(_ start: UnsafeMutableRawPointer, length: Int) {
        guard length > 0 else { return }
        _ = madvise(start, length, MADV_REMOVE)
    }
}
