// Not a test of behaviour but a measurement, run on demand only:
//   REACTOR_MEASURE_IDLE=10000 [REACTOR_MEASURE_KEEP_RINGS=1] swift test --filter idleTLSSessionMemory
// N Python TLS clients (another process, so only the server's memory is counted) connect, do
// one round trip (as a bind would) and then stay idle; we print the server's RSS per session.

import Testing
@testable import Reactor
import CShims
#if canImport(Glibc)
import Glibc
#endif

private let idleCount = getenv("REACTOR_MEASURE_IDLE").flatMap { Int(String(cString: $0)) }

@Suite(.serialized) struct IdleMemoryMeasurement {
    @Test(.enabled(if: idleCount != nil))
    func idleTLSSessionMemory() throws {
        let count = idleCount ?? 0
        Sys.raiseFileLimit()
        var options = ConnectionOptions()
        // REACTOR_MEASURE_KEEP_RINGS=1 measures with the idle sweep off (rings stay mapped).
        options.releaseIdleBuffersAfter = getenv("REACTOR_MEASURE_KEEP_RINGS") == nil ? .milliseconds(500) : nil
        let server = try TestServer(tls: TestCertificates.serverContext(), options: options)
        server.start()
        defer { server.stop() }
        let before = statusKiB()
        let script = """
        import socket, ssl, sys, os, time
        n, port = int(sys.argv[1]), int(sys.argv[2])
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
        conns = []
        for i in range(n):
            t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
            t.sendall(b"bind"); got = b""
            while len(got) < 4: got += t.recv(4 - len(got))
            conns.append(t)
        print(os.getpid(), flush=True)
        time.sleep(3600)
        """
        let path = TestCertificates.directory + "/idle-clients.py"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = script.withCString { Glibc.write(fd, $0, strlen($0)) }
        Glibc.close(fd)
        guard let pipe = popen("python3 \(path) \(count) \(server.port)", "r") else { Issue.record("popen"); return }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, 64, pipe) != nil, let pid = Int32(Sys.cString(line).trimmingCharacters()) else {
            Issue.record("clients did not start"); return
        }
        #expect(server.recorder.wait(timeoutMilliseconds: 600_000) { server.recorder.u_ready == count })
        // Let the idle sweep unmap the rings (releaseIdleBuffersAfter plus one sweep period).
        let settle = monotonicMilliseconds() + 1_500
        _ = server.recorder.wait(timeoutMilliseconds: 1_600) { monotonicMilliseconds() >= settle }
        let after = statusKiB()
        let mapped = server.sync { s in s.connections.filter { $0.testsOnly_ringsMapped.input || $0.testsOnly_ringsMapped.output }.count }
        print("idle TLS sessions: \(count); rings still mapped: \(mapped)")
        for key in ["VmRSS", "RssAnon", "RssShmem"] {
            let delta = (after[key] ?? 0) - (before[key] ?? 0)
            print("  \(key): \(before[key] ?? 0) KiB -> \(after[key] ?? 0) KiB, \(delta * 1024 / max(count, 1)) bytes per session")
        }
        kill(pid, SIGTERM)
        pclose(pipe)
        #expect(server.recorder.wait(timeoutMilliseconds: 60_000) { server.recorder.u_closeCount == count })
    }

    private func statusKiB() -> [String: Int] {
        guard let f = fopen("/proc/self/status", "r") else { return [:] }
        defer { fclose(f) }
        var result: [String: Int] = [:]
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, 256, f) != nil {
            let text = Sys.cString(line)
            let parts = text.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" || $0 == "\n" })
            if parts.count >= 2, let v = Int(parts[1]) { result[String(parts[0])] = v }
        }
        return result
    }
}

extension String {
    func trimmingCharacters() -> String {
        String(self.drop(while: { $0 == " " || $0 == "\n" }).reversed().drop(while: { $0 == " " || $0 == "\n" }).reversed())
    }
}

// Also on demand: heap allocations made on the loop thread per echoed message in steady state.
// Needs a malloc wrapper exporting `long alloc_count_this_thread(void)` (a per-thread counter)
// preloaded into the test process:
//   LD_PRELOAD=/path/allocount.so swift test --filter loopThreadAllocationsPerMessage
private typealias AllocCounter = @convention(c) () -> Int
private let allocCounter: AllocCounter? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "alloc_count_this_thread")
    .map { unsafeBitCast($0, to: AllocCounter.self) }
private typealias AllocTrace = @convention(c) (Int32) -> Void
private let allocTrace: AllocTrace? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "alloc_trace_this_thread")
    .map { unsafeBitCast($0, to: AllocTrace.self) }
private final class CounterBox: @unchecked Sendable { let f: AllocCounter; init(_ f: @escaping AllocCounter) { self.f = f } }

@Suite(.serialized) struct LoopAllocationMeasurement {
    @Test(.enabled(if: allocCounter != nil))
    func loopThreadAllocationsPerMessage() throws {
        let counter = CounterBox(allocCounter!)
        for tls in [false, true] {
            let server = try TestServer(tls: tls ? TestCertificates.serverContext() : nil, mode: .echoQuietly)
            server.start()
            defer { server.stop() }
            let client = TestClient(port: server.port, tls: tls ? (TLS1_2_VERSION, TLS1_3_VERSION) : nil)
            if tls { #expect(client.handshake() == .success("TLSv1.3")) }
            func frames(_ n: Int) -> [UInt8] {
                var out: [UInt8] = []
                for i in 0..<n {
                    let length = 100
                    out += [0, 0, 0, UInt8(length)]
                    out += (0..<(length - 4)).map { UInt8(truncatingIfNeeded: i) &+ UInt8(truncatingIfNeeded: $0) }
                }
                return out
            }
            let warmUp = frames(2_000)
            client.send(warmUp)
            #expect(client.pump { $0.received.count >= warmUp.count } == .done)
            let trace = getenv("REACTOR_TRACE_ALLOCS") != nil
            let before = server.sync { _ in if trace { allocTrace?(1) }; return counter.f() }
            let batch = frames(20_000)
            client.send(batch)
            #expect(client.pump(timeoutMilliseconds: 60_000) { $0.received.count >= warmUp.count + batch.count } == .done)
            let after = server.sync { _ in if trace { allocTrace?(0) }; return counter.f() }
            let kind = tls ? "TLS" : "plain"
            let count = after - before
            print("\(kind): loop-thread allocations for 20,000 echoed 100-byte messages: \(count)")
        }
    }
}
