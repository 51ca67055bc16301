// Test support for the Redis client: a real redis-server on 127.0.0.1 and a free port (never the
// system's 6379), started by the test and waited for by polling a PING on a blocking socket
// (never sleep-and-hope), killed at the end; and the loop run on the test's thread until a
// condition holds or a deadline passes.

import Testing
import Reactor
import Redis
#if canImport(Glibc)
import Glibc
#endif

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func monotonicMs() -> Int64 { Int64(MonotonicClock.nanoseconds() / 1_000_000) }

// MARK: - the loop

final class LoopRunner {
    let loop: EventLoop
    init() throws { loop = try EventLoop() }

    /// Runs the loop until `condition` holds (checked every millisecond) or `timeoutMs` passed;
    /// returns the condition.
    @discardableResult
    func run(timeoutMs: Int64 = 5_000, until condition: @escaping () -> Bool) -> Bool {
        if condition() { return true }
        let deadline = monotonicMs() + timeoutMs
        let loop = self.loop
        final class Box { var timer: LoopTimer? }
        let box = Box()
        box.timer = LoopTimer(loop: loop) {
            if condition() || monotonicMs() >= deadline {
                loop.stop()
            } else {
                box.timer?.schedule(after: .milliseconds(1))
            }
        }
        box.timer?.schedule(after: .milliseconds(1))
        loop.run()
        box.timer?.cancel()
        box.timer = nil
        return condition()
    }

    /// Runs the loop for `ms` (to show that something does NOT happen).
    func idle(ms: Int64) {
        let until = monotonicMs() + ms
        run(timeoutMs: ms + 1_000) { monotonicMs() >= until }
    }
}

// MARK: - redis-server

/// A port nothing listens on right now (bound, then closed: the kernel gave it as free).
func freePort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestError("socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else { throw TestError("bind failed") }
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw TestError("getsockname failed") }
    return UInt16(bigEndian: address.sin_port)
}

/// redis-server --port N --bind 127.0.0.1, no persistence, DEBUG allowed (DEBUG SLEEP).
final class RedisServer {
    let port: UInt16
    private(set) var pid: pid_t = 0
    /// More redis-server arguments (`--replicaof 127.0.0.1 N`).
    let extraArguments: [String]

    init(port: UInt16? = nil, extraArguments: [String] = []) throws {
        self.port = try port ?? freePort()
        self.extraArguments = extraArguments
        try start()
    }

    deinit { kill() }

    /// Starts redis-server on `port` (again, after kill) and waits until it answers PING.
    func start() throws {
        precondition(pid == 0, "redis-server already running")
        let argv = ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--enable-debug-command", "yes", "--daemonize", "no",
                    "--protected-mode", "no", "--loglevel", "warning", "--dir", "/tmp"] + extraArguments
        pid = try spawn(argv)
        try waitUntilReady()
    }

    /// Polls a blocking PING until +PONG (redis-server takes ~10-50 ms to listen), at most 10 s.
    private func waitUntilReady() throws {
        let deadline = monotonicMs() + 10_000
        while monotonicMs() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                throw TestError("redis-server exited at start (status \(status)); port \(port) taken?")
            }
            if ping() { return }
            var p = pollfd(fd: -1, events: 0, revents: 0)
            _ = poll(&p, 0, 5)   // between connect attempts, not a synchronisation
        }
        throw TestError("redis-server did not answer PING on port \(port) within 10 s")
    }

    /// One blocking connect + "PING" + read, 1 s timeouts; whether +PONG came back.
    func ping() -> Bool { blockingCommand(port: port, ["PING"]) == .status("PONG") }

    /// Sends `signal` and reaps the process (SIGKILL: no goodbye to clients).
    func kill(_ signal: Int32 = SIGKILL) {
        guard pid != 0 else { return }
        _ = Glibc.kill(pid, signal)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        pid = 0
    }
}

/// Starts `argv` (looked up in PATH) with stdout to /dev/null and no signals blocked.
func spawn(_ argv: [String]) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for p in cArgs { free(p) } }
    // The test runner's threads block signals; the child starts with none blocked.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    var none = sigset_t(), defaults = sigset_t()
    sigemptyset(&none)
    sigemptyset(&defaults)
    for signal in [SIGTERM, SIGINT, SIGPIPE] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var child: pid_t = 0
    let rc = posix_spawnp(&child, argv[0], &actions, &attributes, &cArgs, environ)
    posix_spawnattr_destroy(&attributes)
    posix_spawn_file_actions_destroy(&actions)
    guard rc == 0 else { throw TestError("posix_spawnp \(argv[0]) failed: \(rc)") }
    return child
}

/// One command over a fresh blocking connection to 127.0.0.1:`port` (1 s timeouts): its reply,
/// or nil when the connection or the reply failed. For the tests' set-up and checks only.
func blockingCommand(port: UInt16, _ arguments: [String]) -> RedisReply? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var tv = timeval(tv_sec: 1, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    var request = Array("*\(arguments.count)\r\n".utf8)
    for a in arguments { request += Array("$\(a.utf8.count)\r\n\(a)\r\n".utf8) }
    guard write(fd, request, request.count) == request.count else { return nil }
    var input: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        var at = 0
        if let reply = RESPParser.parse(input, &at) { return reply }
        let n = read(fd, &chunk, chunk.count)
        guard n > 0 else { return nil }
        input += chunk[0..<n]
    }
}

/// A RESP2 reader for blockingCommand: nil while the bytes hold no complete reply.
enum RESPParser {
    static func parse(_ b: [UInt8], _ at: inout Int) -> RedisReply? {
        guard let line = readLine(b, &at), let kind = line.first else { return nil }
        let rest = String(decoding: line.dropFirst(), as: UTF8.self)
        switch kind {
        case UInt8(ascii: "+"): return .status(rest)
        case UInt8(ascii: "-"): return .error(rest)
        case UInt8(ascii: ":"): return Int64(rest).map { .integer($0) }
        case UInt8(ascii: "$"):
            guard let n = Int(rest) else { return nil }
            if n < 0 { return .null }
            guard b.count >= at + n + 2 else { return nil }
            defer { at += n + 2 }
            return .bulk(Array(b[at..<at + n]))
        case UInt8(ascii: "*"):
            guard let n = Int(rest) else { return nil }
            if n < 0 { return .null }
            var elements: [RedisReply] = []
            for _ in 0..<n {
                guard let e = parse(b, &at) else { return nil }
                elements.append(e)
            }
            return .array(elements)
        default: return nil
        }
    }

    private static func readLine(_ b: [UInt8], _ at: inout Int) -> ArraySlice<UInt8>? {
        var i = at
        while i + 1 < b.count {
            if b[i] == 13 && b[i + 1] == 10 {
                defer { at = i + 2 }
                return b[at..<i]
            }
            i += 1
        }
        return nil
    }
}

// MARK: - a listener that never completes a handshake

/// A listening socket with backlog 0 that never accepts, its one accept-queue slot taken by a
/// connection of its own: Linux then drops further SYNs (the accept queue is full), so a connect
/// to `port` stays in progress until the client gives up. Closed at deinit.
final class SilentListener {
    let port: UInt16
    private var fds: [Int32] = []

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw TestError("socket failed") }
        fds.append(listener)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 0) == 0 else { throw TestError("bind/listen failed") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        // Fill the queue: a blocking connect returns once its handshake is done (it is queued).
        let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        fds.append(filler)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, length) }
        }
        guard connected == 0 else { throw TestError("filler connect failed") }
    }

    deinit { for fd in fds { close(fd) } }
}
