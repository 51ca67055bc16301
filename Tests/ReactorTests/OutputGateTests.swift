// The flush gate (OutputGate, C-DATA-1) over real sockets on 127.0.0.1: bytes written after
// holdNextWrite(until: N) stay in the connection's output ring until release(through: N),
// bytes written before them leave at once, bytes written after them wait behind them (a
// stream keeps its order), other connections are not held, and a hold for a batch already
// released holds nothing. "Held" is checked on both sides: the server connection still has
// the bytes pending after its before-sleep flush, and the client has exactly the bytes before
// the held range. Every wait is bounded.

import Testing
@testable import Reactor
import CShims
#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` on `connection` as one write (one PDU's worth).
private func put(_ connection: Connection, _ text: String) {
    let bytes = Array(text.utf8)
    let ok = connection.write(reservingAtLeast: bytes.count) { out in
        out.copyBytes(from: bytes)
        return bytes.count
    }
    precondition(ok, "write of \(bytes.count) bytes refused")
}

private func text(_ client: TestClient) -> String { String(decoding: client.received, as: UTF8.self) }

@Suite(.serialized) struct OutputGateTests {

    /// A server (plaintext, or TLS) whose loop has a gate, and `count` clients connected to it
    /// in order (server connection i belongs to client i).
    private func serverWithGate(clients count: Int, tls: Bool = false) throws -> (TestServer, [TestClient]) {
        let server = try TestServer(tls: tls ? TestCertificates.serverContext() : nil, mode: .sink)
        server.start()
        server.sync { s in s.loop.outputGate = OutputGate() }
        var clients: [TestClient] = []
        for i in 1...count {
            let client = TestClient(port: server.port, tls: tls ? (TLS1_2_VERSION, TLS1_3_VERSION) : nil)
            if tls { #expect(client.handshake() == .success("TLSv1.3")) }
            clients.append(client)
            #expect(server.recorder.wait { server.recorder.u_ready == i }, "client \(i) was not accepted")
        }
        return (server, clients)
    }

    /// Whether connection `i` still holds output, and how many connections wait at the gate.
    private func heldState(_ server: TestServer, _ i: Int) -> (pending: Bool, waiting: Int) {
        server.sync { s in (s.connections[i].hasPendingOutput, s.loop.outputGate!.waitingCount) }
    }

    /// Waits (bounded) until connection `i` is in the given state. A job run through `sync`
    /// may run in the same loop iteration as the one before it, ahead of that iteration's
    /// flush; `waiting == 1` says a flush ran and stopped at held bytes.
    private func waitForState(_ server: TestServer, _ i: Int, pending: Bool, waiting: Int,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        let deadline = monotonicMilliseconds() + 10_000
        var state = heldState(server, i)
        while (state.pending != pending || state.waiting != waiting) && monotonicMilliseconds() < deadline {
            usleep(1_000)
            state = heldState(server, i)
        }
        #expect(state.pending == pending && state.waiting == waiting,
                "connection \(i): pending \(state.pending), \(state.waiting) waiting at the gate", sourceLocation: sourceLocation)
    }

    /// Reads what has arrived, until `expected` is there (bounded), then once more: nothing
    /// else may have arrived.
    private func expectReceived(_ client: TestClient, _ expected: String, _ label: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        let end = client.pump(timeoutMilliseconds: 10_000) { $0.received.count >= expected.utf8.count }
        #expect(end == .done, "\(label): \(end), got \"\(text(client))\"", sourceLocation: sourceLocation)
        client.readAvailable()
        #expect(text(client) == expected, "\(label)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [false, true])
    func heldBytesWaitForTheirBatchAndLaterBytesWaitBehindThem(tls: Bool) throws {
        let (server, clients) = try serverWithGate(clients: 1, tls: tls)
        defer { server.stop() }
        let client = clients[0]
        server.sync { s in
            let gate = s.loop.outputGate!
            let c = s.connections[0]
            put(c, "before;")               // not held: leaves in this iteration's flush
            gate.holdNextWrite(until: 1)    // the next write reports batch 1's change
            put(c, "held;")
            put(c, "after;")                // not held itself, but behind held bytes
        }
        // The server flushed and stopped at the held range; the client has what came before.
        waitForState(server, 0, pending: true, waiting: 1)
        expectReceived(client, "before;", "before the release")

        // A release of an older batch changes nothing.
        server.sync { s in s.loop.outputGate!.release(through: 0) }
        waitForState(server, 0, pending: true, waiting: 1)
        client.readAvailable()
        #expect(text(client) == "before;")

        server.sync { s in s.loop.outputGate!.release(through: 1) }
        expectReceived(client, "before;held;after;", "after the release")
        waitForState(server, 0, pending: false, waiting: 0)
    }

    @Test func anotherConnectionsOutputIsNotHeld() throws {
        let (server, clients) = try serverWithGate(clients: 2)
        defer { server.stop() }
        server.sync { s in
            let gate = s.loop.outputGate!
            gate.holdNextWrite(until: 1)
            put(s.connections[0], "one-held;")
            put(s.connections[1], "two-free;")   // the hold was taken by the write before
        }
        expectReceived(clients[1], "two-free;", "the other connection")
        waitForState(server, 0, pending: true, waiting: 1)
        clients[0].readAvailable()
        #expect(clients[0].received.isEmpty, "held bytes left before their batch was durable")
        // More output on the free connection while the first is still held.
        server.sync { s in put(s.connections[1], "two-more;") }
        expectReceived(clients[1], "two-free;two-more;", "the other connection, again")
        waitForState(server, 0, pending: true, waiting: 1)
        clients[0].readAvailable()
        #expect(clients[0].received.isEmpty)
        server.sync { s in s.loop.outputGate!.release(through: 1) }
        expectReceived(clients[0], "one-held;", "after the release")
    }

    @Test func aHoldForABatchAlreadyDurableHoldsNothing() throws {
        let (server, clients) = try serverWithGate(clients: 1)
        defer { server.stop() }
        server.sync { s in
            let gate = s.loop.outputGate!
            gate.release(through: 3)
            gate.holdNextWrite(until: 3)   // durable already
            put(s.connections[0], "a;")
            gate.holdNextWrite(until: 2)   // older still
            put(s.connections[0], "b;")
            put(s.connections[0], "c;")
        }
        expectReceived(clients[0], "a;b;c;", "released batches")
        waitForState(server, 0, pending: false, waiting: 0)
        #expect(server.sync { s in s.loop.outputGate!.nextWrite } == 0, "a hold is taken by the write that follows it")
    }

    @Test func manyHeldRangesAreReleasedInOrderBatchByBatch() throws {
        // More ranges than HeldOutput keeps (8): the newest absorbs the rest, so bytes may
        // wait longer than their own batch, never shorter, and never out of order.
        let (server, clients) = try serverWithGate(clients: 1)
        defer { server.stop() }
        let client = clients[0]
        let batches = 12
        server.sync { s in
            let gate = s.loop.outputGate!
            put(s.connections[0], "start;")
            for b in 1...batches {
                gate.holdNextWrite(until: UInt64(b))
                put(s.connections[0], "r\(b);")
            }
        }
        waitForState(server, 0, pending: true, waiting: 1)
        expectReceived(client, "start;", "nothing released")
        // Ranges 1...capacity-1 keep their own batch; from the capacity-th on they are one
        // range, which waits for the newest batch (12).
        let capacity = HeldOutput.capacity
        var expected = "start;"
        var next = 1
        for b in 1...batches {
            server.sync { s in s.loop.outputGate!.release(through: UInt64(b)) }
            // Flushed again and stopped at the next range still held (none after the last).
            waitForState(server, 0, pending: b < batches, waiting: b < batches ? 1 : 0)
            if b < capacity || b == batches {
                while next <= b { expected += "r\(next);"; next += 1 }
            }
            expectReceived(client, expected, "release through \(b)")
        }
        #expect(text(client) == "start;" + (1...batches).map { "r\($0);" }.joined())
    }

    @Test func closeAfterFlushWaitsForHeldBytesThenCloses() throws {
        // An unbind answered right after a held submit_sm_resp: the connection drains what it
        // holds once the batch is durable, then closes; it does not drop the held bytes.
        let (server, clients) = try serverWithGate(clients: 1)
        defer { server.stop() }
        let client = clients[0]
        server.sync { s in
            let gate = s.loop.outputGate!
            gate.holdNextWrite(until: 1)
            put(s.connections[0], "resp;")
            put(s.connections[0], "unbind_resp;")
            s.connections[0].closeAfterFlush()
        }
        waitForState(server, 0, pending: true, waiting: 1)
        client.readAvailable()
        #expect(client.received.isEmpty && !client.sawEOF)
        #expect(server.recorder.closes.isEmpty, "closed with held bytes unsent")
        server.sync { s in s.loop.outputGate!.release(through: 1) }
        #expect(client.readUntilEOF() == .eof)
        #expect(text(client) == "resp;unbind_resp;")
        #expect(server.recorder.wait { server.recorder.u_closeCount == 1 })
        #expect(server.recorder.closes[0] == [.closedLocally])
    }
}
