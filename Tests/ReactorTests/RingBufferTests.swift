// RingBuffer invariants: capacity rounding, full/empty edges, index reset on empty, and the
// mirror: bytes that run across the physical end are readable (and writable) as one block.

import Testing
@testable import Reactor

@Suite struct RingBufferTests {
    @Test func capacityRoundsUpToPowerOfTwoPages() {
        #expect(RingBuffer(capacity: 1).capacity == Sys.pageSize)
        #expect(RingBuffer(capacity: 72 * 1024).capacity == 128 * 1024)
        #expect(RingBuffer(capacity: 128 * 1024).capacity == 128 * 1024)
    }

    @Test func mapsLazilyAndReleasesWhenEmpty() {
        let ring = RingBuffer(capacity: 4096)
        #expect(!ring.isMapped)
        #expect(ring.writableBytes == ring.capacity)
        #expect(ring.mapIfNeeded() == 0)
        #expect(ring.isMapped)
        write(ring, pattern(10))
        ring.releaseMemoryIfEmpty()
        #expect(ring.isMapped, "a ring holding bytes keeps its memory")
        ring.consume(10)
        ring.releaseMemoryIfEmpty()
        #expect(!ring.isMapped)
        #expect(ring.mapIfNeeded() == 0)
        #expect(ring.isEmpty)
    }

    @Test func fullAndEmptyEdges() {
        let ring = RingBuffer(capacity: 4096)
        #expect(ring.mapIfNeeded() == 0)
        #expect(ring.isEmpty && !ring.isFull)
        write(ring, pattern(ring.capacity))
        #expect(ring.isFull)
        #expect(ring.writableBytes == 0)
        #expect(ring.readableBytes == ring.capacity)
        #expect(sameBytes(read(ring), pattern(ring.capacity)))
        ring.consume(ring.capacity - 1)
        #expect(ring.readableBytes == 1)
        ring.consume(1)
        #expect(ring.isEmpty)
        #expect(ring.testsOnly_indices == (0, 0), "indices return to 0 when the ring empties")
    }

    @Test func bytesAcrossTheWrapPointAreContiguous() {
        let ring = RingBuffer(capacity: 4096)
        let cap = ring.capacity
        #expect(ring.mapIfNeeded() == 0)
        write(ring, pattern(cap - 100, seed: 1))
        ring.consume(cap - 200)  // 100 bytes left at the physical end
        let tail = pattern(3000, seed: 7)
        write(ring, tail)          // written across the end through the mirror
        #expect(ring.testsOnly_straddlesWrap)
        let expected = Array(pattern(cap - 100, seed: 1).suffix(100)) + tail
        #expect(sameBytes(read(ring), expected))
        // The free region is contiguous too, and fills the ring exactly.
        #expect(ring.writableBytes == cap - 3100)
        write(ring, pattern(cap - 3100, seed: 9))
        #expect(ring.isFull)
        #expect(sameBytes(read(ring), expected + pattern(cap - 3100, seed: 9)))
    }

    @Test func manyLapsKeepContentIntact() {
        let ring = RingBuffer(capacity: 4096)
        #expect(ring.mapIfNeeded() == 0)
        var produced: [UInt8] = []
        var consumed: [UInt8] = []
        var seed: UInt8 = 0
        for step in 0..<500 {
            let n = min(ring.writableBytes, (step * 97) % 1500 + 1)
            let chunk = pattern(n, seed: seed)
            seed &+= 1
            write(ring, chunk)
            produced += chunk
            let take = min(ring.readableBytes, (step * 53) % 1400 + 1)
            consumed += read(ring).prefix(take)
            ring.consume(take)
        }
        consumed += read(ring)
        #expect(sameBytes(consumed, produced))
    }

    private func write(_ ring: RingBuffer, _ bytes: [UInt8]) {
        #expect(bytes.count <= ring.writableBytes)
        ring.withUnsafeWritableBytes { free in
            bytes.withUnsafeBytes { free.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        }
        ring.commitWrite(bytes.count)
    }

    private func read(_ ring: RingBuffer) -> [UInt8] {
        ring.withUnsafeReadableBytes { Array($0) }
    }
}

@Suite struct EndpointTests {
    @Test func parsesIPv4IPv6AndNames() {
        #expect(Endpoint(parsing: "127.0.0.1:2775") == Endpoint(host: "127.0.0.1", port: 2775))
        #expect(Endpoint(parsing: "[::1]:0") == Endpoint(host: "::1", port: 0))
        #expect(Endpoint(parsing: "localhost:65535")?.port == 65535)
        #expect(Endpoint(parsing: ":2775") == Endpoint(host: "", port: 2775))
        #expect(Endpoint(parsing: "[::1]:2775")?.description == "[::1]:2775")
    }

    @Test(arguments: ["127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "::1:2775", "[::1]2775", "[::1]:x", "a b:1", "[]:1", "h:-1"])
    func rejectsMalformed(_ text: String) {
        #expect(Endpoint(parsing: text) == nil)
    }
}
