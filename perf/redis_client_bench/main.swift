// redis-bench: the Redis client (Sources/Redis) against a local redis-server. Keeps `--window`
// commands in flight (a completion sends the next) until `--count` answered, per mode: INCR,
// and EVALSHA of a script touching 3 keys. Reports commands/s, the client process's CPU per
// command (getrusage: this process runs only the loop) and, with --server-pid, redis-server's
// (/proc/PID/stat utime+stime). run.sh starts a throwaway redis-server and runs this.
//   redis-bench --port P [--server-pid PID] [--count N] [--window W]

#if canImport(Glibc)
import Glibc
#endif
import Reactor
import Redis

struct Options {
    var port = 6379
    var serverPID: Int32?
    var count = 200_000
    var window = 1_024
}

func parse() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst()
    while let flag = args.popFirst() {
        guard let value = args.popFirst(), let n = Int(value) else { fatalError("usage: redis-bench --port P [--server-pid PID] [--count N] [--window W]") }
        switch flag {
        case "--port": o.port = n
        case "--server-pid": o.serverPID = Int32(n)
        case "--count": o.count = n
        case "--window": o.window = n
        default: fatalError("unknown flag \(flag)")
        }
    }
    return o
}

/// This process's user+system CPU, µs.
func selfCPU() -> Int64 {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Int64(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000 + Int64(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
}

/// utime+stime of `pid` from /proc/PID/stat, µs (0 without a pid).
func processCPU(_ pid: Int32?) -> Int64 {
    guard let pid else { return 0 }
    let fd = open("/proc/\(pid)/stat", O_RDONLY)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = read(fd, &buffer, buffer.count)
    guard n > 0, let close = buffer[0..<n].lastIndex(of: UInt8(ascii: ")")) else { return 0 }
    // Fields after "(comm)": state is field 3, utime 14, stime 15.
    let fields = buffer[(close + 2)..<n].split(separator: UInt8(ascii: " "))
    guard fields.count > 12, let utime = Int64(String(decoding: fields[11], as: UTF8.self)),
          let stime = Int64(String(decoding: fields[12], as: UTF8.self)) else { return 0 }
    return (utime + stime) * 1_000_000 / Int64(sysconf(Int32(_SC_CLK_TCK)))
}

/// Everything in one function: its locals, unlike top-level globals, are not main-actor
/// isolated, so the client's (non-isolated) completion closures may use them.
func runBench() throws {
    let options = parse()
    let loop = try EventLoop()
    let client = RedisClient(loop: loop, host: "127.0.0.1", port: options.port)
    let script = RedisScript(source: "redis.call('INCR', KEYS[1]); redis.call('INCR', KEYS[2]); return redis.call('INCR', KEYS[3])")

    /// Runs `count` commands with `window` in flight; prints one line.
    func measure(_ name: String, _ issue: @escaping (@escaping (Result<RedisReply, RedisFailure>) -> Void) -> Void) {
        var sent = 0, answered = 0, failed = 0
        let startWall = MonotonicClock.nanoseconds(), startCPU = selfCPU(), startServer = processCPU(options.serverPID)
        func next() {
            guard sent < options.count else { return }
            sent += 1
            issue { result in
                answered += 1
                if case .success(.error) = result { failed += 1 } else if case .failure = result { failed += 1 }
                if answered == options.count { loop.stop() } else { next() }
            }
        }
        for _ in 0..<min(options.window, options.count) { next() }
        loop.run()
        let wallNs = Double(MonotonicClock.nanoseconds() - startWall)
        let cpu = Double(selfCPU() - startCPU), server = Double(processCPU(options.serverPID) - startServer)
        let n = Double(options.count)
        var line = "\(name): \(options.count) commands, window \(options.window): \(Int(n / (wallNs / 1e9))) commands/s, "
        line += "client CPU \(Double(Int(cpu / n * 100)) / 100) µs/command"
        if options.serverPID != nil { line += ", redis-server CPU \(Double(Int(server / n * 100)) / 100) µs/command" }
        if failed > 0 { line += ", \(failed) FAILED" }
        print(line)
    }

    client.onStateChange = { state in if state == .connected { loop.stop() } }
    client.start()
    loop.run()
    guard client.state == .connected else { fatalError("not connected: \(client.state)") }
    client.onStateChange = { print("state: \($0)") }
    measure("warm-up INCR") { client.send(["INCR", "bench:warm"], completion: $0) }
    measure("INCR") { client.send(["INCR", "bench:counter"], completion: $0) }
    measure("EVALSHA 3 keys") { client.eval(script, keys: ["bench:a", "bench:b", "bench:c"], arguments: [], completion: $0) }
    client.stop()
}

try runBench()
