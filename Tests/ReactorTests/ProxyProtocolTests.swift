// A Listener with a balancer list, over real sockets on 127.0.0.1: the PROXY v2 header is read
// before the TLS handshake (and before any plaintext byte), sets the connection's peer, and a
// listed peer without a valid header is closed; unlisted peers get no header processing.

import Testing
@testable import Reactor
import CShims
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct ProxyProtocolTests {
    let fromLoopback = [try! AddressPrefix(parsing: "127.0.0.1")]
    let header = proxyV2(block: ipv4Block([10, 1, 2, 3], [127, 0, 0, 1], 40_000, 2775))

    func peers(_ server: TestServer) -> [String] { server.sync { s in s.connections.map(\.peer) } }

    @Test func headerBeforeTheTLSHandshakeNamesThePeer() throws {
        let server = try TestServer(tls: TestCertificates.serverContext(), proxyFrom: fromLoopback)
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION))
        client.sendRaw(header)
        #expect(client.handshake() == .success("TLSv1.3"))
        client.send(Array("ping".utf8))
        #expect(client.pump { $0.received.count >= 4 } == .done)
        #expect(client.received == Array("ping".utf8))
        #expect(peers(server) == ["10.1.2.3:40000"])
    }

    @Test func plaintextHeaderByteByByteThenDataInTheSameSegment() throws {
        let server = try TestServer(tls: nil, proxyFrom: fromLoopback)
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port)
        for byte in header.dropLast() { client.sendRaw([byte]) }
        client.sendRaw([header.last!] + Array("hello".utf8))  // the header's end and data together
        #expect(client.pump { $0.received.count >= 5 } == .done)
        #expect(client.received == Array("hello".utf8), "the header is not data")
        #expect(peers(server) == ["10.1.2.3:40000"])
    }

    @Test func localCommandKeepsTheSocketPeer() throws {
        let server = try TestServer(tls: nil, proxyFrom: fromLoopback)
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port)
        client.sendRaw(proxyV2(command: 0, family: 0, block: []) + Array("hc".utf8))
        #expect(client.pump { $0.received.count >= 2 } == .done)
        let seen = peers(server)
        #expect(seen.count == 1 && seen[0].hasPrefix("127.0.0.1:"), "\(seen)")
    }

    @Test func garbageFromAListedPeerIsClosedWithTheReason() throws {
        let server = try TestServer(tls: TestCertificates.serverContext(), proxyFrom: fromLoopback)
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION))
        guard case .failure = client.handshake() else {  // a ClientHello where the header belongs
            Issue.record("handshake without a header succeeded")
            return
        }
        #expect(server.recorder.wait { server.recorder.u_closeCount == 1 })
        #expect(server.recorder.allCloseReasons == [.proxyHeaderInvalid("bad signature")])
        #expect(server.recorder.readyCount == 0)
    }

    @Test func truncatedHeaderThenCloseAndStalledHeaderAreClosed() throws {
        var options = ConnectionOptions()
        options.handshakeTimeout = .milliseconds(150)
        let server = try TestServer(tls: nil, options: options, proxyFrom: fromLoopback)
        server.start()
        defer { server.stop() }
        let stalled = TestClient(port: server.port)
        stalled.sendRaw(Array(header[..<20]))
        #expect(server.recorder.wait { server.recorder.u_closeCount == 1 })
        let truncated = TestClient(port: server.port)
        truncated.sendRaw(Array(header[..<10]))
        _ = Glibc.shutdown(truncated.fd, Int32(SHUT_WR))  // FIN after 10 bytes
        #expect(server.recorder.wait { server.recorder.u_closeCount == 2 })
        let reasons = server.recorder.allCloseReasons.map { r -> String in
            if case let .proxyHeaderInvalid(text) = r { return text }
            return "other: \(r)"
        }.sorted()
        #expect(reasons.count == 2)
        #expect(reasons.contains { $0.contains("within the handshake timeout (20 bytes)") }, "\(reasons)")
        #expect(reasons.contains { $0.contains("closed the connection after 10 bytes") }, "\(reasons)")
        #expect(stalled.readUntilEOF() == .eof)
        #expect(server.recorder.readyCount == 0)
    }

    @Test func unlistedPeersGetNoHeaderProcessing() throws {
        let server = try TestServer(tls: TestCertificates.serverContext(), proxyFrom: [try AddressPrefix(parsing: "127.0.0.9")])
        server.start()
        defer { server.stop() }
        let client = TestClient(port: server.port, tls: (TLS1_2_VERSION, TLS1_3_VERSION))
        #expect(client.handshake() == .success("TLSv1.3"))
        let seen = peers(server)
        #expect(seen.count == 1 && seen[0].hasPrefix("127.0.0.1:"), "\(seen)")
        // A header from an unlisted peer is just bytes on the TLS port.
        let sender = TestClient(port: server.port)
        sender.sendRaw(header)
        #expect(sender.readUntilEOF() == .eof)
        #expect(server.recorder.wait { server.recorder.u_closeCount == 1 })
        guard case .handshakeFailed? = server.recorder.allCloseReasons.first else {
            Issue.record("expected a failed handshake, got \(server.recorder.allCloseReasons)")
            return
        }
    }
}
