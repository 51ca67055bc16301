// Test support for Sentinel discovery: a primary and a replica (RedisServer) and three
// redis-sentinel processes on free ports, quorum 2, down-after 1 s, failover-timeout 3 s.
// Readiness is polled (each sentinel sees the replica and the two other sentinels), never
// slept for.

import Reactor
import Redis
#if canImport(Glibc)
import Glibc
#endif

/// One `redis-server <conf> --sentinel` on 127.0.0.1 and a free port; its config file in /tmp.
final class SentinelProcess {
    let port: UInt16
    private let configPath: String
    private(set) var pid: pid_t = 0

    /// `monitors`: (master name, primary port, quorum).
    init(monitors: [(name: String, port: UInt16, quorum: Int)]) throws {
        port = try freePort()
        configPath = "/tmp/smppd-sentinel-\(getpid())-\(port).conf"
        var conf = "port \(port)\nbind 127.0.0.1\nprotected-mode no\ndaemonize no\nloglevel warning\ndir /tmp\n"
        for m in monitors {
            conf += "sentinel monitor \(m.name) 127.0.0.1 \(m.port) \(m.quorum)\n"
            conf += "sentinel down-after-milliseconds \(m.name) 1000\n"
            conf += "sentinel failover-timeout \(m.name) 3000\n"
            conf += "sentinel parallel-syncs \(m.name) 1\n"
        }
        let f = fopen(configPath, "w")
        guard let f else { throw TestError("cannot write \(configPath)") }
        fputs(conf, f)
        fclose(f)
        pid = try spawn(["redis-server", configPath, "--sentinel"])
        let deadline = monotonicMs() + 10_000
        while blockingCommand(port: port, ["PING"]) != .status("PONG") {
            guard monotonicMs() < deadline else { throw TestError("sentinel on \(port) did not answer PING") }
            var p = pollfd(fd: -1, events: 0, revents: 0)
            _ = poll(&p, 0, 5)
        }
    }

    deinit {
        kill()
        unlink(configPath)
    }

    func command(_ arguments: [String]) -> RedisReply? { blockingCommand(port: port, arguments) }

    func kill() {
        guard pid != 0 else { return }
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        pid = 0
    }
}

/// A primary, one replica of it and three sentinels monitoring it as "mymaster".
final class SentinelTopology {
    static let master = "mymaster"
    let primary: RedisServer
    let replica: RedisServer
    let sentinels: [SentinelProcess]

    init() throws {
        let primary = try RedisServer()
        self.primary = primary
        replica = try RedisServer(extraArguments: ["--replicaof", "127.0.0.1", String(primary.port)])
        sentinels = try (0..<3).map { _ in try SentinelProcess(monitors: [(Self.master, primary.port, 2)]) }
        try waitUntil(timeoutMs: 20_000, "the replica in sync and every sentinel seeing it and the two others") {
            guard self.replicaInSync(self.replica) else { return false }
            return self.sentinels.allSatisfy { s in
                self.count(s.command(["SENTINEL", "replicas", Self.master])) == 1
                    && self.count(s.command(["SENTINEL", "sentinels", Self.master])) == 2
            }
        }
    }

    /// The sentinels' addresses, for RedisEndpoint.sentinel.
    var addresses: [Endpoint] { sentinels.map { Endpoint(host: "127.0.0.1", port: $0.port) } }

    /// The primary's port as `sentinel` names it now.
    func namedPrimary(_ sentinel: SentinelProcess) -> Int? {
        guard case .array(let pair) = sentinel.command(["SENTINEL", "get-master-addr-by-name", Self.master]),
              pair.count == 2, let text = pair[1].text else { return nil }
        return Int(text)
    }

    private func replicaInSync(_ server: RedisServer) -> Bool {
        guard case .bulk(let bytes) = blockingCommand(port: server.port, ["INFO", "replication"]) else { return false }
        return String(decoding: bytes, as: UTF8.self).contains("master_link_status:up")
    }

    private func count(_ reply: RedisReply?) -> Int {
        if case .array(let a) = reply { a.count } else { -1 }
    }
}

/// Polls `condition` every 20 ms (blocking the test's thread) until it holds or `timeoutMs` passed.
func waitUntil(timeoutMs: Int64, _ what: String, _ condition: () -> Bool) throws {
    let deadline = monotonicMs() + timeoutMs
    while !condition() {
        guard monotonicMs() < deadline else { throw TestError("timed out waiting for \(what)") }
        var p = pollfd(fd: -1, events: 0, revents: 0)
        _ = poll(&p, 0, 20)
    }
}
