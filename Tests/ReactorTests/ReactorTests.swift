// Reactor over real sockets on 127.0.0.1 (port 0): TLS versions, garbage and stalled
// handshakes, pipelined echo across ring wraps, back-pressure, resets, closeAfterFlush,
// timers, doorbell, signals, certificates, many connections at once.

import Testing
import Synchronization
@testable import Reactor
import Queues
import CShims
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct ReactorTests {

    // MARK: TLS versions (C-TLS-1)

    @Test func tls12AndTls13AreAccepted() throws {
        let server = try TestServer(tls: TestCertificates.serverContext())
        server.start()
        defer { server.stop() }
        let c12 = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_2_VERSION))
        #expect(c12.handshake() == .success("TLSv1.2"))
        let c13 = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION))
        #expect(c13.handshake() == .success("TLSv1.3"))
        // Echo one message each way so both server sides really finished.
        for c in [c12, c13] {
            c.send(Array("ping".utf8))
            #expect(c.pump { $0.received.count >= 4 } == .done)
            #expect(c.received == Array("ping".utf8))
        }
        #expect(server.recorder.wait { server.recorder.u_ready == 2 })
        #expect(Set(server.recorder.versions) == ["TLSv1.2", "TLSv1.3"])
    }

    @Test func tls11ClientIsRefused() throws {
        let server = try TestServer(tls: TestCertificates.serverContext())
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port, tls: (TLS1_1_VERSION, TLS1_1_VERSION))
        guard case .failure = client.handshake() else {
            Issue.record("a TLS 1.1 client completed a handshake")
            return
        }
        #expect(server.recorder.wait { server.recorder.u_closeCount == 1 })
        let reasons = server.recorder.allCloseReasons
        guard case let .handshakeFailed(text)? = reasons.first else {
            Issue.record("expected handshakeFailed, got \(reasons)")
            return
        }
        #expect(text.contains("version") || text.contains("protocol"), "OpenSSL reason: \(text)")
        #expect(server.recorder.readyCount == 0)
    }

    @Test func plainBytesOnTheTLSPortGetNothingBackAndFailTheHandshake() throws {
        let server = try TestServer(tls: TestCertificates.serverContext())
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port)
        // A bind_transmitter PDU as a plaintext SMPP client would send it.
        var bind: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]
        bind += Array("smppclient1\0password\0\0".utf8) + [0x34, 0, 0, 0]
        bind[3] = UInt8(bind.count)
        client.send(bind)
        client.writeSome()
        #expect(client.readUntilEOF() == .eof)
        #expect(client.received.isEmpty, "the server wrote \(client.received.count) bytes back")
        #expect(server.recorder.wait { server.recorder.u_closeCount == 1 })
        guard case let .handshakeFailed(text)? = server.recorder.allCloseReasons.first else {
            Issue.record("expected handshakeFailed, got \(server.recorder.allCloseReasons)")
            return
        }
        #expect(text.contains("wrong version number"), "OpenSSL reason: \(text)")
        #expect(server.recorder.readyCount == 0)
    }

    @Test func stalledHandshakeTimesOut() throws {
        var options = ConnectionOptions()
        options.handshakeTimeout = .milliseconds(150)
        let server = try TestServer(tls: TestCertificates.serverContext(), options: options)
        server.start()
        defer { server.stop() }
        let silent = TestClient(port: server.port)
        let partial = TestClient(port: server.port)
        partial.send([0x16, 0x03, 0x01, 0x01, 0x00, 0x01])  // the start of a ClientHello, never finished
        partial.writeSome()
        #expect(server.recorder.wait { server.recorder.u_closeCount == 2 })
        #expect(server.recorder.allCloseReasons == [.handshakeTimeout, .handshakeTimeout])
        #expect(silent.readUntilEOF() == .eof)
        #expect(partial.readUntilEOF() == .eof)
    }

    // MARK: data path

    @Test func tlsEchoOfOneMegabytePipelinedFramesAcrossRingWraps() throws {
        var options = ConnectionOptions()
        options.inputCapacityBytes = 32 * 1024
        options.outputCapacityBytes = 32 * 1024
        let server = try TestServer(tls: TestCertificates.serverContext(), options: options, mode: .echoFrames)
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION))
        #expect(client.handshake() == .success("TLSv1.3"))

        var stream: [UInt8] = []
        var rng = SplitMix(seed: 42)
        var frames = 0
        while stream.count < 1 << 20 {
            let length = 5 + Int(rng.next() % 12_000)
            let seed = UInt8(truncatingIfNeeded: frames)
            stream += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            stream += (0..<(length - 4)).map { seed &+ UInt8(truncatingIfNeeded: $0) }
            frames += 1
        }
        client.send(stream)
        #expect(client.pump(timeoutMilliseconds: 60_000) { $0.received.count >= stream.count } == .done)
        #expect(client.received.count == stream.count)
        #expect(sameBytes(client.received, stream))
        #expect(server.recorder.value("frames") == frames)
        #expect(server.recorder.notes.isEmpty, "\(server.recorder.notes.prefix(3))")
        #expect(server.recorder.value("straddled") > 0, "no frame ever crossed the ring's wrap point")
        #expect(server.recorder.value("maxOutputUsed") <= 32 * 1024)
    }

    @Test func clientThatDoesNotReadStopsTheServerReadingUntilItDrains() throws {
        var options = ConnectionOptions()
        options.inputCapacityBytes = 16 * 1024
        options.outputCapacityBytes = 16 * 1024
        let server = try TestServer(tls: nil, options: options, mode: .echo)
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port)
        let chunk = pattern(64 * 1024, seed: 3)
        var written = 0
        // Write without reading until the server reports back-pressure and our socket is full.
        var paused = false
        let deadline = monotonicMilliseconds() + 30_000
        while monotonicMilliseconds() < deadline && written < 256 << 20 {
            client.send(chunk)
            let n = client.writeSome()
            written += n
            if n == 0 {
                if !paused {
                    paused = server.sync { s in s.connections.first?.isReadingPaused ?? false }
                }
                if paused {
                    // Count these bytes too: the echo brings them back (uncounted, they made
                    // the received total exceed the expected one in ~1 run in 10).
                    let more = client.writeSome()
                    written += more
                    if more == 0 { break }
                }
                client.waitReadable(milliseconds: 10, alsoWritable: true)
            }
        }
        written += client.writeSome()
        #expect(paused, "the server never paused reading")
        let offeredWhilePaused = server.recorder.value("offered")
        let stillPaused = server.sync { s in s.connections.first?.isReadingPaused ?? false }
        #expect(stillPaused)
        #expect(server.recorder.value("offered") == offeredWhilePaused)
        #expect(server.recorder.value("maxOutputUsed") <= 16 * 1024, "output ring exceeded its capacity")
        let pending = server.sync { s in s.connections.first?.testsOnly_outputReadableBytes ?? -1 }
        #expect(pending > 0 && pending <= 16 * 1024)

        // Drain: everything written comes back, so reading resumed.
        let total = written + client.unsentBytes
        #expect(client.pump(timeoutMilliseconds: 60_000) { $0.received.count >= total } == .done)
        #expect(client.received.count == total)
        var expected: [UInt8] = []
        expected.reserveCapacity(total)
        while expected.count < total { expected += chunk }
        #expect(sameBytes(client.received, Array(expected.prefix(total))))
        #expect(server.recorder.value("refused") > 0)
        #expect(server.recorder.value("maxOutputUsed") <= 16 * 1024)
    }

    @Test func closeAfterFlushDeliversEveryPendingByteThenCloses() throws {
        var options = ConnectionOptions()
        options.outputCapacityBytes = 512 * 1024
        let payload = pattern(512 * 1024, seed: 5)
        let server = try TestServer(tls: TestCertificates.serverContext(), options: options, mode: .sink) { c in
            var offset = 0
            while offset < payload.count {
                let ok = c.write(reservingAtLeast: 1) { out in
                    let n = min(out.count, payload.count - offset)
                    payload.withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
                    return n
                }
                precondition(ok)
                offset = payload.count - c.outputFreeBytes + (c.outputCapacityBytes - payload.count)
                if c.outputFreeBytes == 0 { break }
            }
            c.closeAfterFlush()
            #expect(!c.write(reservingAtLeast: 1) { _ in 0 }, "writes after closeAfterFlush are refused")
        }
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION))
        #expect(client.handshake() == .success("TLSv1.3"))
        #expect(client.readUntilEOF(timeoutMilliseconds: 30_000) == .eof)
        #expect(client.received.count == payload.count)
        #expect(sameBytes(client.received, payload))
        #expect(server.recorder.wait { server.recorder.u_closeCount == 1 })
        #expect(server.recorder.allCloseReasons == [.closedLocally])
    }

    @Test func peerResetAndEOFCloseExactlyOnce() throws {
        let server = try TestServer(tls: TestCertificates.serverContext())
        server.start()
        defer { server.stop() }
        let resetter = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION))
        #expect(resetter.handshake() == .success("TLSv1.3"))
        let quitter = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION))
        #expect(quitter.handshake() == .success("TLSv1.3"))
        let plainQuitter = TestClient(port: server.port)
        #expect(server.recorder.wait { server.recorder.u_ready == 2 })
        // Read what the server sent (TLS 1.3 session tickets) first: closing a socket with unread
        // bytes makes the kernel send RST instead of FIN.
        quitter.send(Array("x".utf8))
        #expect(quitter.pump { $0.received.count >= 1 } == .done)
        resetter.reset()
        resetter.close()
        quitter.close()  // no close_notify: OpenSSL 3 calls it "unexpected eof"; for us it is EOF
        plainQuitter.close()
        #expect(server.recorder.wait { server.recorder.u_closeCount == 3 })
        let closes = server.recorder.closes
        #expect(closes.values.allSatisfy { $0.count == 1 }, "\(closes)")
        let reasons = server.recorder.allCloseReasons
        #expect(reasons.contains(.reset(errno: ECONNRESET)), "\(reasons)")
        #expect(reasons.filter { $0 == .peerClosed }.count == 1, "\(reasons)")  // the TLS quitter
        #expect(reasons.contains(.handshakeFailed("peer closed the connection during the handshake")), "\(reasons)")
        #expect(server.sync { s in s.loop.connectionCount } == 0)
    }

    @Test func plaintextListenerEchoesAndReportsReadyAtOnce() throws {
        let server = try TestServer(tls: nil)
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port)
        client.send(Array("hello".utf8))
        #expect(client.pump { $0.received.count >= 5 } == .done)
        #expect(client.received == Array("hello".utf8))
        #expect(server.recorder.readyCount == 1)
        #expect(server.sync { s in s.connections.first.map { !$0.isTLS && $0.tlsVersion == nil && $0.peer.hasPrefix("127.0.0.1:") } ?? false })
    }

    @Test func idleConnectionsGiveTheirRingMemoryBack() throws {
        var options = ConnectionOptions()
        options.releaseIdleBuffersAfter = .milliseconds(50)
        let server = try TestServer(tls: TestCertificates.serverContext(), options: options)
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION))
        #expect(client.handshake() == .success("TLSv1.3"))
        client.send(Array("one".utf8))
        #expect(client.pump { $0.received.count >= 3 } == .done)
        #expect(server.sync { s in s.connections.first?.testsOnly_ringsMapped.input ?? false })
        let deadline = monotonicMilliseconds() + 10_000
        var released = false
        while !released && monotonicMilliseconds() < deadline {
            released = server.sync { s in
                guard let m = s.connections.first?.testsOnly_ringsMapped else { return false }
                return !m.input && !m.output
            }
            if !released { client.waitReadable(milliseconds: 20, alsoWritable: false) }
        }
        #expect(released)
        client.send(Array("two".utf8))
        #expect(client.pump { $0.received.count >= 6 } == .done)
        #expect(client.received == Array("onetwo".utf8))
    }

    @Test func fiveHundredConnectionsHandshakeAtOnce() throws {
        Sys.raiseFileLimit()
        let server = try TestServer(tls: TestCertificates.serverContext())
        server.start()
        defer { server.stop() }
        let count = 500
        let clients = (0..<count).map { _ in TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION)) }
        var outcomes: [Result<String, TestClient.HandshakeError>?] = Array(repeating: nil, count: count)
        let deadline = monotonicMilliseconds() + 120_000
        while outcomes.contains(where: { $0 == nil }) && monotonicMilliseconds() < deadline {
            var fds: [pollfd] = []
            for i in 0..<count where outcomes[i] == nil {
                outcomes[i] = clients[i].handshakeStep()
                if outcomes[i] == nil { fds.append(pollfd(fd: clients[i].fd, events: Int16(POLLIN), revents: 0)) }
            }
            if !fds.isEmpty { _ = poll(&fds, nfds_t(fds.count), 50) }
        }
        #expect(outcomes.allSatisfy { $0 == .success("TLSv1.3") })
        #expect(server.recorder.wait(timeoutMilliseconds: 30_000) { server.recorder.u_ready == count })
        #expect(server.sync { s in s.loop.connectionCount } == count)
        for c in clients { c.close() }
        #expect(server.recorder.wait(timeoutMilliseconds: 30_000) { server.recorder.u_closeCount == count })
        // RST rather than FIN when the client closes with the server's session tickets unread.
        #expect(server.recorder.allCloseReasons.allSatisfy { $0 == .peerClosed || $0 == .reset(errno: ECONNRESET) })
    }

    @Test func closeInsideCallbacksIsDeferredAndReportedOnce() throws {
        let server = try TestServer(tls: TestCertificates.serverContext(), mode: .closeOnData)
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION))
        #expect(client.handshake() == .success("TLSv1.3"))
        client.send(Array("bye".utf8))
        #expect(client.pump { _ in false } == .eof)
        #expect(server.recorder.wait { server.recorder.u_closeCount == 1 })
        #expect(server.recorder.allCloseReasons == [.closedLocally])

        // Refused in onReady (plaintext: ready comes straight after accept).
        let refusing = try TestServer(tls: nil, mode: .sink) { c in c.close() }
        refusing.start()
        defer { refusing.stop() }
        let refused = TestClient(port: refusing.port)
        #expect(refused.readUntilEOF() == .eof)
        #expect(refusing.recorder.wait { refusing.recorder.u_closeCount == 1 })
        #expect(refusing.recorder.allCloseReasons == [.closedLocally])
        #expect(refusing.sync { s in s.loop.connectionCount } == 0)
    }

    @Test func fairnessCapStillDrainsBytesBufferedInsideOpenSSL() throws {
        // Reads of at most 1,000 bytes per event against 16 KiB TLS records: after each capped
        // read OpenSSL holds decrypted bytes the socket will never signal again. Without the
        // before-sleep read queue this echo would stall.
        var options = ConnectionOptions()
        options.maxReadBytesPerEvent = 1_000
        options.inputCapacityBytes = 4096
        let server = try TestServer(tls: TestCertificates.serverContext(), options: options, mode: .echo)
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION))
        #expect(client.handshake() == .success("TLSv1.3"))
        let payload = pattern(256 * 1024, seed: 11)
        client.send(payload)
        #expect(client.pump(timeoutMilliseconds: 30_000) { $0.received.count >= payload.count } == .done)
        #expect(sameBytes(client.received, payload))
    }

    @Test func closeAfterFlushGivesUpOnAPeerThatDoesNotRead() throws {
        var options = ConnectionOptions()
        options.outputCapacityBytes = 8 << 20
        options.flushTimeout = .milliseconds(200)
        let server = try TestServer(tls: nil, options: options, mode: .sink) { c in
            // More than the loopback socket buffers can hold.
            while c.outputFreeBytes > 0 {
                _ = c.write(reservingAtLeast: 1) { out in
                    out.initializeMemory(as: UInt8.self, repeating: 0x55)
                    return out.count
                }
            }
            c.closeAfterFlush()
        }
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port)
        #expect(server.recorder.wait { server.recorder.u_closeCount == 1 })
        #expect(server.recorder.allCloseReasons == [.flushTimeout])
        _ = client
    }

    @Test func replacedTLSContextServesNewConnectionsOnly() throws {
        let first = try TestCertificates.serverContext()
        let second = try TLSServerContext.loadOrCreateSelfSigned(directory: TestCertificates.makeTempDirectory(), commonName: "second").context
        #expect(first.fingerprintSHA256 != second.fingerprintSHA256)
        let server = try TestServer(tls: first)
        server.start()
        defer { server.stop() }
        let before = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION))
        #expect(before.handshake() == .success("TLSv1.3"))
        let box = UncheckedBox(second)
        server.sync { s in s.listener.replaceTLSContext(box.value) }
        let after = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION))
        #expect(after.handshake() == .success("TLSv1.3"))
        #expect(before.peerFingerprint == first.fingerprintSHA256)
        #expect(after.peerFingerprint == second.fingerprintSHA256)
        for c in [before, after] {
            c.send(Array("still here".utf8))
            #expect(c.pump { $0.received.count >= 10 } == .done)
        }
    }

    @Test func closedListenerRefusesNewClientsButKeepsItsConnections() throws {
        let server = try TestServer(tls: nil)
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port)
        #expect(server.recorder.wait { server.recorder.u_ready == 1 })
        server.sync { s in s.listener.close() }
        #expect(TestClient.connectErrno(port: server.port) == ECONNREFUSED)
        client.send(Array("echo".utf8))
        #expect(client.pump { $0.received.count >= 4 } == .done)
    }

    // MARK: timers, doorbell, signals

    @Test func timersFireReArmAndCancel() throws {
        let server = try TestServer(tls: nil)
        server.start()
        defer { server.stop() }
        let recorder = server.recorder
        server.onLoop { s in
            let box = TimerBox()
            box.repeating = LoopTimer(loop: s.loop) { [unowned box] in
                recorder.add("fired")
                if recorder.value("fired") < 3 { box.repeating?.schedule(after: .milliseconds(5)) }
            }
            box.repeating?.schedule(after: .milliseconds(5))
            box.cancelled = LoopTimer(loop: s.loop) { recorder.add("cancelled-fired") }
            box.cancelled?.schedule(after: .milliseconds(1))
            box.cancelled?.schedule(after: .milliseconds(2))  // re-arm replaces
            box.cancelled?.cancel()
            box.checker = LoopTimer(loop: s.loop) { recorder.add("checked") }
            box.checker?.schedule(after: .milliseconds(60))
            s.timerBoxes.append(box)
        }
        #expect(recorder.wait { recorder.u_value("checked") == 1 && recorder.u_value("fired") == 3 })
        #expect(recorder.value("cancelled-fired") == 0)
        #expect(recorder.value("fired") == 3)
    }

    @Test func doorbellRungFromOtherThreadsDeliversEveryItemOnce() throws {
        let loop = try EventLoop()
        let queue = BoundedQueue<Int>(capacity: 64)
        let sum = Atomic<Int>(0)
        let received = Atomic<Int>(0)
        let perThread = 5_000, threads = 3
        let total = perThread * threads
        let holder = LoopHolder(loop)
        holder.doorbell = Doorbell(loop: loop) { [unowned holder] in
            // ev_async coalesces: drain everything on every ring.
            while let v = queue.tryPop() {
                sum.add(v, ordering: .relaxed)
                if received.add(1, ordering: .relaxed).newValue == total { holder.loop.stop() }
            }
        }
        let loopThread = spawnThread { holder.loop.run() }
        var producers: [pthread_t] = []
        for t in 0..<threads {
            let bell = holder.doorbell!
            producers.append(spawnThread {
                for i in 0..<perThread {
                    var item = t * perThread + i + 1
                    while let back = queue.tryPush(item) { item = back; bell.ring(); sched_yield() }
                    bell.ring()
                }
            })
        }
        for p in producers { pthread_join(p, nil) }
        pthread_join(loopThread, nil)
        #expect(received.load(ordering: .relaxed) == total)
        #expect(sum.load(ordering: .relaxed) == total * (total + 1) / 2)
        holder.doorbell = nil
    }

    @Test func signalWatcherRunsItsHandlerOnTheLoop() throws {
        let server = try TestServer(tls: nil)
        let recorder = server.recorder
        let watcher = SignalWatcher(loop: server.loop, signal: SIGUSR2) { recorder.add("signal") }
        server.start()
        defer { server.stop() }
        kill(getpid(), SIGUSR2)
        #expect(recorder.wait { recorder.u_value("signal") >= 1 })
        let box = UncheckedBox(watcher)
        server.sync { _ in box.value.cancel() }
    }

    // MARK: certificates (C-TLS-2)

    @Test func selfSignedCertificateIsCreatedOnceThenReused() throws {
        let dir = TestCertificates.makeTempDirectory()
        let first = try TLSServerContext.loadOrCreateSelfSigned(directory: dir, commonName: "smppd.test")
        #expect(first.created)
        #expect(first.context.fingerprintSHA256.count == 32 * 3 - 1)
        var st = stat()
        #expect(stat(first.keyPath, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        let second = try TLSServerContext.loadOrCreateSelfSigned(directory: dir, commonName: "smppd.test")
        #expect(!second.created)
        #expect(second.context.fingerprintSHA256 == first.context.fingerprintSHA256)
        let explicit = try TLSServerContext(certificatePEMPath: first.certificatePath, privateKeyPEMPath: first.keyPath)
        #expect(explicit.fingerprintSHA256 == first.context.fingerprintSHA256)
    }

    @Test func certificateErrorsNameTheFileAndTheReason() throws {
        let dir = TestCertificates.makeTempDirectory()
        do {
            _ = try TLSServerContext(certificatePEMPath: dir + "/missing.pem", privateKeyPEMPath: dir + "/missing-key.pem")
            Issue.record("loading a missing file succeeded")
        } catch {
            #expect(error.description.contains("missing.pem") && error.description.contains("No such file"), "\(error)")
        }
        let garbage = dir + "/garbage.pem"
        let fd = open(garbage, O_WRONLY | O_CREAT, 0o600)
        _ = Glibc.write(fd, "not a certificate\n", 18)
        Glibc.close(fd)
        do {
            _ = try TLSServerContext(certificatePEMPath: garbage, privateKeyPEMPath: garbage)
            Issue.record("loading garbage succeeded")
        } catch {
            #expect(error.description.contains("certificate file \(garbage)"), "\(error)")
        }
    }
}

final class TimerBox {
    var repeating: LoopTimer?
    var cancelled: LoopTimer?
    var checker: LoopTimer?
}

extension TestServer {
    var timerBoxes: [TimerBox] {
        get { _timerBoxes }
        set { _timerBoxes = newValue }
    }
}

final class LoopHolder: @unchecked Sendable {
    let loop: EventLoop
    var doorbell: Doorbell?
    init(_ loop: EventLoop) { self.loop = loop }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

// MARK: - Connector (outbound connections, smppbench)

/// A client-side delegate on the server's loop: sends `message` when ready and records what
/// comes back.
final class ConnectorClient: ConnectionDelegate, @unchecked Sendable {
    let recorder: Recorder
    let message: [UInt8]
    var connection: Connection?
    var received: [UInt8] = []

    init(recorder: Recorder, message: [UInt8]) {
        self.recorder = recorder
        self.message = message
    }

    func connectionDidBecomeReady(_ connection: Connection) {
        recorder.note("client ready \(connection.tlsVersion ?? "plain")")
        let message = self.message
        _ = connection.write(reservingAtLeast: message.count) { buffer in
            buffer.copyBytes(from: message)
            return message.count
        }
    }

    func connection(_ connection: Connection, didReceive bytes: UnsafeRawBufferPointer) -> Int {
        received += bytes
        recorder.add("client.received", bytes.count)
        return bytes.count
    }

    func connectionDidClose(_ connection: Connection, reason: CloseReason) {
        recorder.note("client closed \(reason)")
    }
}

// In ReactorTests' serialized suite: a second suite would run in parallel and race it creating
// the shared self-signed certificate.
extension ReactorTests {
    private func connectorEcho(through verification: TLSClientContext.Verification?) throws {
        let server = try TestServer(tls: TestCertificates.serverContext())
        server.start()
        defer { server.stop() }
        let message = Array(repeating: Array("connector says hello ".utf8), count: 500).flatMap { $0 }
        let client = ConnectorClient(recorder: server.recorder, message: message)
        let tls = try verification.map { try TLSClientContext(verification: $0) }
        let port = server.port
        nonisolated(unsafe) let unsafeTLS = tls
        server.onLoop { s in
            Connector.connect(loop: s.loop, to: Endpoint(host: "127.0.0.1", port: port), tls: unsafeTLS) { result in
                switch result {
                case let .success(c):
                    c.delegate = client
                    client.connection = c
                case let .failure(error):
                    s.recorder.note("connect failed \(error)")
                }
            }
        }
        #expect(server.recorder.wait { server.recorder.u_value("client.received") >= message.count })
        #expect(server.sync { _ in client.received == message })
        #expect(server.recorder.notes.contains { $0.hasPrefix("client ready TLSv1.") }, "\(server.recorder.notes)")
        #expect(server.recorder.readyCount == 1)
    }

    @Test func connectorEchoesOverTLSWithoutVerification() throws {
        try connectorEcho(through: TLSClientContext.Verification.none)
    }

    @Test func connectorEchoesOverTLSVerifyingAgainstTheCAFile() throws {
        try connectorEcho(through: .caFile(TestCertificates.directory + "/" + TLSServerContext.selfSignedCertificateFileName))
    }

    @Test func connectorReportsARefusedConnection() throws {
        let server = try TestServer(tls: nil)
        server.start()
        defer { server.stop() }
        // A port nobody listens on: a socket bound to it but never listening holds it for the
        // test (a closed one could be handed to a test running in parallel), and refuses.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(holder >= 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length) == 0 && getsockname(holder, $0, &length) == 0 }
        }
        #expect(bound)
        let closedPort = UInt16(bigEndian: address.sin_port)
        server.onLoop { s in
            Connector.connect(loop: s.loop, to: Endpoint(host: "127.0.0.1", port: closedPort), tls: nil) { result in
                switch result {
                case .failure(.system(_, let code)) where code == ECONNREFUSED: s.recorder.note("refused")
                case .failure(let error): s.recorder.note("other error: \(error)")
                case .success: s.recorder.note("connected")
                }
            }
        }
        #expect(server.recorder.wait { !server.recorder.u_notes.isEmpty })
        #expect(server.recorder.notes == ["refused"])
    }
}
