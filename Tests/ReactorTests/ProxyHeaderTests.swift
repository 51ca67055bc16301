// ProxyHeader (PROXY protocol v2 parser) and AddressPrefix (the balancer list), pure: bytes in,
// verdicts out. The header's byte layout is in ProxyHeader.swift's opening comment.

import Testing
@testable import Reactor

/// A v2 header: signature, version/command, family/transport, length, then `block`.
func proxyV2(command: UInt8 = 1, family: UInt8 = 0x11, block: [UInt8], length: Int? = nil, version: UInt8 = 2) -> [UInt8] {
    let n = length ?? block.count
    return ProxyHeader.signature + [version << 4 | command, family, UInt8(n >> 8), UInt8(n & 0xFF)] + block
}

/// The address block of TCP over IPv4: source, destination, their ports.
func ipv4Block(_ src: [UInt8], _ dst: [UInt8], _ sport: UInt16, _ dport: UInt16) -> [UInt8] {
    src + dst + [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF)]
}

@Suite struct ProxyHeaderTests {
    let v4 = proxyV2(block: ipv4Block([10, 1, 2, 3], [192, 168, 0, 1], 40_000, 2775))
    let v6Source: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
    let v6Dest: [UInt8] = [UInt8](repeating: 0, count: 15) + [1]
    var v6: [UInt8] { proxyV2(family: 0x21, block: v6Source + v6Dest + [0x9C, 0x40, 0x0A, 0xD7]) }

    @Test func ipv4HeaderNamesTheClient() {
        guard case let .header(source, destination, length) = ProxyHeader.parse(v4) else {
            Issue.record("not a header: \(ProxyHeader.parse(v4))")
            return
        }
        #expect(source == ProxyAddress(bytes: [10, 1, 2, 3], port: 40_000))
        #expect(destination == ProxyAddress(bytes: [192, 168, 0, 1], port: 2775))
        #expect(length == 28)
        #expect(source.endpoint.description == "10.1.2.3:40000")
    }

    @Test func ipv6HeaderNamesTheClient() {
        guard case let .header(source, destination, length) = ProxyHeader.parse(v6) else {
            Issue.record("not a header: \(ProxyHeader.parse(v6))")
            return
        }
        #expect(source.bytes == v6Source && source.port == 40_000)
        #expect(destination.bytes == v6Dest && destination.port == 2775)
        #expect(length == 52)
        #expect(source.endpoint.description == "[2001:db8::1]:40000")
    }

    @Test func localCommandKeepsTheSocketAddresses() {
        // haproxy's health checks: LOCAL, family UNSPEC, no addresses.
        #expect(ProxyHeader.parse(proxyV2(command: 0, family: 0x00, block: [])) == .local(length: 16))
        // The family and the addresses of a LOCAL header are ignored, but skipped.
        #expect(ProxyHeader.parse(proxyV2(command: 0, family: 0x31, block: [UInt8](repeating: 7, count: 20))) == .local(length: 36))
    }

    @Test func tlvsAreSkippedWithinTheLength() {
        // PP2_TYPE_ALPN "h2" and PP2_TYPE_NOOP, then the next protocol's bytes (a ClientHello).
        let tlvs: [UInt8] = [0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x03, 0, 0, 0]
        let header = proxyV2(block: ipv4Block([127, 0, 0, 5], [127, 0, 0, 1], 1, 2) + tlvs)
        guard case let .header(source, _, length) = ProxyHeader.parse(header + [0x16, 0x03, 0x01]) else {
            Issue.record("TLVs not skipped")
            return
        }
        #expect(length == header.count, "the header ends after its TLVs, before the TLS bytes")
        #expect(source.endpoint.description == "127.0.0.5:1")
    }

    @Test func everyTruncationNeedsMoreAndNeverAsksPastTheHeader() {
        for header in [v4, v6, proxyV2(command: 0, family: 0, block: []),
                       proxyV2(block: ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 9, 10) + [0x04, 0x00, 0x01, 0])] {
            for cut in 0..<header.count {
                let verdict = ProxyHeader.parse(Array(header[..<cut]))
                guard case let .needMore(n) = verdict else {
                    Issue.record("\(cut) of \(header.count) bytes gave \(verdict)")
                    continue
                }
                #expect(n >= 1 && cut + n <= header.count, "at \(cut): asks for \(n) of \(header.count)")
            }
        }
    }

    @Test func readingExactlyWhatIsAskedAssemblesTheHeader() {
        // The Connection's way: read `needMore` bytes at a time, never more.
        let stream = v6 + [0x16, 0x03, 0x01, 0x00]
        var have: [UInt8] = []
        var reads = 0
        while case let .needMore(n) = ProxyHeader.parse(have) {
            have += stream[have.count..<have.count + n]
            reads += 1
            if reads > 100 { break }
        }
        #expect(have == v6, "nothing past the header was taken")
        #expect(reads <= 5)
    }

    @Test func badSignatureFailsOnTheFirstWrongByte() {
        #expect(ProxyHeader.parse([0x16]) == .invalid("bad signature"), "a TLS ClientHello")
        #expect(ProxyHeader.parse([0x00, 0x00, 0x00, 0x2F]) == .invalid("bad signature"), "an SMPP PDU")
        var corrupt = v4
        corrupt[7] ^= 0x01
        #expect(ProxyHeader.parse(Array(corrupt[..<8])) == .invalid("bad signature"))
        #expect(ProxyHeader.parse(corrupt) == .invalid("bad signature"))
    }

    @Test func versionOneTextHeaderIsRefused() {
        #expect(ProxyHeader.parse(Array("PRO".utf8)) == .needMore(3))
        let verdict = ProxyHeader.parse(Array("PROXY TCP4 10.1.2.3 10.0.0.1 40000 2775\r\n".utf8))
        guard case let .invalid(reason) = verdict else {
            Issue.record("v1 accepted: \(verdict)")
            return
        }
        #expect(reason.contains("version 1"))
        #expect(ProxyHeader.parse(Array("PROXZ".utf8)) == .invalid("bad signature"))
    }

    @Test func badVersionCommandFamilyOrTransportAreRefused() {
        let block = ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 9, 10)
        let cases: [([UInt8], String)] = [
            (proxyV2(block: block, version: 1), "unsupported version 1"),
            (proxyV2(block: block, version: 3), "unsupported version 3"),
            (proxyV2(command: 2, block: block), "unknown command 2"),
            (proxyV2(command: 0xF, block: block), "unknown command 15"),
            (proxyV2(family: 0x01, block: block), "family UNSPEC"),
            (proxyV2(family: 0x00, block: []), "family UNSPEC"),
            (proxyV2(family: 0x31, block: [UInt8](repeating: 0, count: 216)), "family UNIX"),
            (proxyV2(family: 0x41, block: block), "unknown address family 4"),
            (proxyV2(family: 0x12, block: block), "DGRAM"),
            (proxyV2(family: 0x10, block: block), "transport UNSPEC"),
            (proxyV2(family: 0x13, block: block), "unknown transport 3"),
        ]
        for (bytes, expected) in cases {
            let verdict = ProxyHeader.parse(bytes)
            guard case let .invalid(reason) = verdict else {
                Issue.record("accepted (\(expected)): \(verdict)")
                continue
            }
            #expect(reason.contains(expected), "\(reason) should say \(expected)")
            // Decided as soon as the offending byte is there, not after the whole header.
            let early = ProxyHeader.parse(Array(bytes[..<14]))
            #expect(early == verdict, "with 14 bytes: \(early)")
        }
    }

    @Test func overLongOrTooShortLengthIsRefused() {
        let over = proxyV2(block: [], length: ProxyHeader.maxBlockBytes + 1)
        #expect(ProxyHeader.parse(over) == .invalid("length 513 over the limit of 512"), "decided from the 16 fixed bytes")
        #expect(ProxyHeader.parse(proxyV2(block: [], length: 0xFFFF)) == .invalid("length 65535 over the limit of 512"))
        let largest = proxyV2(command: 0, family: 0, block: [UInt8](repeating: 0, count: ProxyHeader.maxBlockBytes))
        #expect(ProxyHeader.parse(largest) == .local(length: ProxyHeader.maxHeaderBytes))
        guard case let .invalid(reason) = ProxyHeader.parse(proxyV2(block: [UInt8](repeating: 0, count: 11))) else {
            Issue.record("an 11-byte IPv4 block was accepted")
            return
        }
        #expect(reason.contains("too short"))
        guard case .invalid = ProxyHeader.parse(proxyV2(family: 0x21, block: [UInt8](repeating: 0, count: 12))) else {
            Issue.record("a 12-byte IPv6 block was accepted")
            return
        }
    }
}

@Suite struct AddressPrefixTests {
    func prefix(_ text: String) throws -> AddressPrefix { try AddressPrefix(parsing: text) }

    @Test func singleAddressesAndPrefixesMatch() throws {
        #expect(try prefix("127.0.0.1").contains(host: "127.0.0.1"))
        #expect(try !prefix("127.0.0.1").contains(host: "127.0.0.2"))
        #expect(try prefix("10.0.0.0/8").contains(host: "10.255.1.2"))
        #expect(try !prefix("10.0.0.0/8").contains(host: "11.0.0.1"))
        #expect(try prefix("192.168.4.0/22").contains(host: "192.168.7.255"))
        #expect(try !prefix("192.168.4.0/22").contains(host: "192.168.8.0"))
        #expect(try prefix("0.0.0.0/0").contains(host: "203.0.113.9"))
        #expect(try prefix("fd00::/8").contains(host: "fd12:3456::1"))
        #expect(try !prefix("fd00::/8").contains(host: "fe80::1"))
        #expect(try prefix("::1").contains(host: "::1"))
        #expect(try !prefix("::1").contains(host: "127.0.0.1"), "families do not mix")
        #expect(try !prefix("10.0.0.0/8").contains(host: "not-an-address"))
    }

    @Test func ipv4MappedPeersMatchIPv4Prefixes() throws {
        // A dual-stack listener ([::]:2775) reports an IPv4 client as ::ffff:a.b.c.d.
        #expect(try prefix("127.0.0.0/8").contains(host: "::ffff:127.0.0.1"))
        #expect(try !prefix("10.0.0.0/8").contains(host: "::ffff:127.0.0.1"))
    }

    @Test func descriptionsRoundTrip() throws {
        for text in ["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8", "0.0.0.0/0"] {
            #expect(try prefix(text).description == text)
        }
    }

    @Test func mistakesAreRefusedWithAReason() {
        for bad in ["", "localhost", "10.0.0", "10.0.0.1/33", "::1/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8",
                    "10.0.0.0/ 8", "[::1]", "10.0.0.1:2775", "10.1.0.0/8"] {
            #expect(throws: ReactorError.self, "\(bad) accepted") { try AddressPrefix(parsing: bad) }
        }
        do {
            _ = try AddressPrefix(parsing: "10.1.0.0/8")
        } catch {
            #expect("\(error)".contains("10.0.0.0/8"), "names the network meant: \(error)")
        }
    }

    @Test func listMatchesAnyOfItsPrefixes() throws {
        let list = [try prefix("127.0.0.1"), try prefix("10.0.0.0/8")]
        #expect(list.contains(host: "10.9.9.9"))
        #expect(list.contains(host: "127.0.0.1"))
        #expect(!list.contains(host: "127.0.0.5"))
        #expect(![AddressPrefix]().contains(host: "127.0.0.1"))
    }
}
