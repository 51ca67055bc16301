// Test support for the HTTP carrier: the Python test service as a subprocess (it prints its
// port when ready, so nothing sleeps), a blocking HTTP/1.0 client for its control endpoints
// (used only while the loop is not running), a tiny JSON reader for its answers, a recording
// delegate, and a loop run on the test thread until a condition holds or a deadline passes.

import Testing
@testable import Upstream
import Reactor
import SMPP
#if canImport(Glibc)
import Glibc
#endif

func wallMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

func monotonicMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

// MARK: - processes

/// Runs argv[0] (found in PATH) with stdout on a pipe; stderr is inherited.
final class Subprocess {
    let pid: pid_t
    private(set) var stdoutFD: Int32

    init(_ argv: [String]) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw TestError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        // The test runner's threads block signals; the child must start with none blocked and
        // default handlers, or SIGTERM would never end it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, &attributes, &cArgs, environ)
        posix_spawnattr_destroy(&attributes)
        posix_spawn_file_actions_destroy(&actions)
        close(fds[1])
        guard rc == 0 else { close(fds[0]); throw TestError("posix_spawnp \(argv[0]) failed: \(rc)") }
        self.pid = pid
        stdoutFD = fds[0]
    }

    /// The first line the process prints, within the deadline.
    func firstLine(timeoutMilliseconds: Int64 = 15_000) throws -> String {
        var line: [UInt8] = []
        let deadline = monotonicMs() + timeoutMilliseconds
        while true {
            let left = deadline - monotonicMs()
            guard left > 0 else { throw TestError("no line from the subprocess in time") }
            var p = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(left)) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(stdoutFD, &byte, 1) == 1 else { throw TestError("subprocess exited before its first line") }
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }

    /// Waits for the process to exit; its status.
    @discardableResult
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if stdoutFD >= 0 { close(stdoutFD); stdoutFD = -1 }
        return status
    }

    /// SIGTERM, and SIGKILL if it is still there after 5 s (a test must never hang on it).
    func terminate() {
        kill(pid, SIGTERM)
        let deadline = monotonicMs() + 5_000
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if monotonicMs() >= deadline { kill(pid, SIGKILL); break }
            var p = pollfd(fd: -1, events: 0, revents: 0)
            _ = poll(&p, 0, 10)
        }
        wait()
    }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The repository's root, from this file's path (Tests/UpstreamTests/…).
let repositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// e2e/upstream_http_service.py, running; stopped by stop().
final class TestService {
    let process: Subprocess
    let port: UInt16
    let isTLS: Bool

    init(_ flags: [String] = [], port: UInt16 = 0) throws {
        process = try Subprocess(["python3", repositoryRoot + "/e2e/upstream_http_service.py", "--port", String(port)] + flags)
        let line = try process.firstLine()
        guard let p = UInt16(line) else { throw TestError("service said \(line)") }
        self.port = p
        isTLS = flags.contains("--tls-cert")
    }

    var url: String { "\(isTLS ? "https" : "http")://127.0.0.1:\(port)/sms" }

    func stop() { process.terminate() }

    /// The recorded batch requests.
    func requests() throws -> [TestJSON] {
        guard case .array(let items) = try TestJSON.parse(try httpRequest(port: port, method: "GET", path: "/_requests"))
        else { throw TestError("/_requests is not an array") }
        return items
    }

    func control(_ json: String) throws {
        _ = try httpRequest(port: port, method: "POST", path: "/_control", body: json)
    }
}

/// One blocking HTTP/1.0 exchange with 127.0.0.1:port; the response body.
func httpRequest(port: UInt16, method: String, path: String, body: String = "") throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestError("socket failed") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw TestError("connect to \(port) failed: \(errno)") }
    let request = Array("\(method) \(path) HTTP/1.0\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
    var sent = 0
    while sent < request.count {
        let n = request[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw TestError("write failed") }
        sent += n
    }
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &chunk, chunk.count)
        if n <= 0 { break }
        response.append(contentsOf: chunk[0..<n])
    }
    let separator = Array("\r\n\r\n".utf8)
    guard let split = response.indices.first(where: { response[$0...].starts(with: separator) })
    else { throw TestError("no HTTP response") }
    return String(decoding: response[(split + 4)...], as: UTF8.self)
}

/// A port nothing listens on (bound, then closed).
func closedPort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Int32 in
            _ = bind(fd, p, length)
            return getsockname(fd, p, &length)
        }
    }
    return UInt16(bigEndian: address.sin_port)
}

/// Runs `/bin/sh -c script`; throws unless it exits 0.
func shell(_ script: String) throws {
    let p = try Subprocess(["/bin/sh", "-c", script])
    let status = p.wait()
    guard status == 0 else { throw TestError("shell failed (\(status)): \(script)") }
}

// MARK: - JSON (the service's answers)

indirect enum TestJSON: Equatable {
    case object([String: TestJSON]), array([TestJSON]), string(String), number(Double), bool(Bool), null

    subscript(key: String) -> TestJSON? { if case .object(let o) = self { return o[key] } else { return nil } }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var int: Int? { if case .number(let d) = self { return Int(d) } else { return nil } }
    var array: [TestJSON]? { if case .array(let a) = self { return a } else { return nil } }

    static func parse(_ text: String) throws -> TestJSON {
        var p = Parser(bytes: Array(text.utf8))
        let value = try p.value()
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0
        mutating func ws() { while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 } }
        mutating func value() throws -> TestJSON {
            ws()
            guard i < bytes.count else { throw TestError("json: end") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var o: [String: TestJSON] = [:]
                ws()
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                while true {
                    ws()
                    guard case .string(let k) = try value() else { throw TestError("json: key") }
                    ws(); i += 1  // ':'
                    o[k] = try value()
                    ws()
                    let c = bytes[i]; i += 1
                    if c == UInt8(ascii: "}") { return .object(o) }
                }
            case UInt8(ascii: "["):
                i += 1
                var a: [TestJSON] = []
                ws()
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                while true {
                    a.append(try value())
                    ws()
                    let c = bytes[i]; i += 1
                    if c == UInt8(ascii: "]") { return .array(a) }
                }
            case UInt8(ascii: "\""):
                i += 1
                var s: [UInt8] = []
                while bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\") {
                        i += 1
                        switch bytes[i] {
                        case UInt8(ascii: "n"): s.append(0x0A)
                        case UInt8(ascii: "t"): s.append(0x09)
                        case UInt8(ascii: "r"): s.append(0x0D)
                        case UInt8(ascii: "u"):
                            let hex = String(decoding: bytes[(i + 1)...(i + 4)], as: UTF8.self)
                            s.append(contentsOf: Array(String(Character(Unicode.Scalar(UInt32(hex, radix: 16)!)!)).utf8))
                            i += 4
                        default: s.append(bytes[i])
                        }
                    } else {
                        s.append(bytes[i])
                    }
                    i += 1
                }
                i += 1
                return .string(String(decoding: s, as: UTF8.self))
            case UInt8(ascii: "t"): i += 4; return .bool(true)
            case UInt8(ascii: "f"): i += 5; return .bool(false)
            case UInt8(ascii: "n"): i += 4; return .null
            default:
                let start = i
                while i < bytes.count, !([UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x0A].contains(bytes[i])) { i += 1 }
                guard let d = Double(String(decoding: bytes[start..<i], as: UTF8.self)) else { throw TestError("json: number") }
                return .number(d)
            }
        }
    }
}

// MARK: - the carrier's side

/// The HTTP carrier's events, beside the shared RecordingDelegate (UpstreamTestSupport.swift).
extension RecordingDelegate {
    var answeredCount: Int { accepted.count + refused.count }
    var failures: Int { httpEvents.filter { if case .requestFailed = $0 { true } else { false } }.count }
}

/// Runs `loop` on this thread until `condition` holds (checked every 2 ms) or `timeoutMilliseconds`
/// pass; whether the condition held.
@discardableResult
func run(_ loop: EventLoop, timeoutMilliseconds: Int64 = 10_000, until condition: @escaping () -> Bool) -> Bool {
    if condition() { return true }
    let deadline = monotonicMs() + timeoutMilliseconds
    var met = false
    var check: LoopTimer?
    check = LoopTimer(loop: loop) {
        if condition() { met = true; loop.stop(); return }
        if monotonicMs() >= deadline { loop.stop(); return }
        check?.schedule(after: .milliseconds(2))
    }
    check?.schedule(after: .milliseconds(1))
    loop.run()
    check?.cancel()
    check = nil
    return met
}

/// A message to `destination` with id `n` (written "n": MessageIDText.decimal), valid for a minute.
func message(_ n: UInt64, to destination: String = "4915550000", validForMs: Int64 = 60_000,
             text: String = "hello") -> OutboundMessage {
    let now = wallMilliseconds()
    return OutboundMessage(id: n, systemID: "acct", sourceTon: 1, sourceNpi: 1, source: "SMPPD",
                           destinationTon: 1, destinationNpi: 1, destination: destination,
                           shortMessage: Array(text.utf8), submitTimeMs: now, validityDeadlineMs: now + validForMs)
}

func settings(url: String, batchSize: Int = 10, lingerMs: Int64 = 5, maxInFlight: Int = 4, timeoutMs: Int64 = 5_000,
              retry: BackoffSettings = BackoffSettings(initialMs: 20, maximumMs: 200), failures: Int = 5,
              openMs: Int64 = 10_000) -> HTTPUpstreamSettings {
    var s = HTTPUpstreamSettings()
    s.url = url
    s.batchSize = batchSize
    s.lingerMs = lingerMs
    s.maxInFlight = maxInFlight
    s.timeoutMs = timeoutMs
    s.retry = retry
    s.breaker.failures = failures
    s.breaker.openMs = openMs
    return s
}

/// A started carrier whose delegate and events go to `recorder`.
func makeCarrier(_ s: HTTPUpstreamSettings, loop: EventLoop, recorder: RecordingDelegate) throws -> HTTPUpstream {
    let carrier = try HTTPUpstream(name: "test", settings: s, loop: loop)
    carrier.delegate = recorder
    carrier.onEvent = { recorder.httpEvents.append($0) }
    carrier.start()
    return carrier
}
