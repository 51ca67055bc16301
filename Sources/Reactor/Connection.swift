// Connection: one accepted socket (TLS or plaintext), its two rings, its watchers and its state
// machine: the PROXY header when the peer is a listed balancer, handshake, then read -> delegate -> output ring -> flush (right after the read
// burst, or in the loop's before-sleep pass for other output); back-pressure,
// fairness, closeAfterFlush, and exactly one connectionDidClose. Loop thread only.
// Unsafe code (allowlisted, STYLE 9.3) only because its public byte API lends ring memory
// (UnsafeRawBufferPointer / UnsafeMutableRawBufferPointer) for the duration of one call; all
// pointer arithmetic lives in RingBuffer.swift and TLSStream.swift.

import CShims

/// The layer above the Reactor (an SMPP session). All calls arrive on the loop thread.
public protocol ConnectionDelegate: AnyObject {
    /// The TLS handshake finished (plaintext: right after accept).
    func connectionDidBecomeReady(_ connection: Connection)
    /// Readable bytes, contiguous even across the ring's wrap point, valid only during the call.
    /// Return how many were consumed; the rest is offered again with more appended. Returning
    /// less because `write(reservingAtLeast:)` just returned false (output ring full) is
    /// back-pressure: the reactor stops reading the socket until output drains, then calls again.
    func connection(_ connection: Connection, didReceive bytes: UnsafeRawBufferPointer) -> Int
    /// Exactly once for every accepted connection (also when the handshake failed or timed out).
    /// Delivered after the current delegate callback returns when close() is called inside one,
    /// otherwise before close() returns.
    func connectionDidClose(_ connection: Connection, reason: CloseReason)
}

public final class Connection {
    /// Held strongly until connectionDidClose has been delivered, then released (that breaks
    /// the delegate ↔ connection cycle). Not `weak`: a weak reference gives the delegate (every
    /// Session) a side table, and every retain and release of it then takes the slow path —
    /// 13 % of a single smppd's CPU with receipts (perf/RESULTS.md "Cluster", the profiles).
    public var delegate: ConnectionDelegate?
    /// "127.0.0.1:54321" / "[::1]:54321": the socket's peer, or the client a PROXY header named
    /// (set before connectionDidBecomeReady).
    public private(set) var peer: String
    public var isTLS: Bool { stream.isTLS }
    /// "TLSv1.3" / "TLSv1.2" once the handshake finished; nil for plaintext.
    public private(set) var tlsVersion: String?
    /// Called on the loop thread each time a flush empties the output ring.
    public var onOutputDrained: (() -> Void)?

    let loop: EventLoop
    let options: ConnectionOptions
    private let stream: TLSStream
    private let input: RingBuffer
    private let output: RingBuffer
    private var readWatcher: IOWatcher?
    private var writeWatcher: IOWatcher?
    /// Handshake timeout while handshaking, flush timeout while draining; idle otherwise.
    private var timer: LoopTimer?

    private enum State { case proxyHeader, handshaking, open, draining, closed }
    private var state: State
    /// The PROXY header's bytes read so far (state .proxyHeader only; at most
    /// ProxyHeader.maxHeaderBytes, because reads take exactly what the parser still needs).
    private var proxyBytes: [UInt8] = []

    // Readiness bookkeeping: what each side of OpenSSL is waiting for ("read wants write" and
    // "write wants read" both happen: renegotiation is off, but TLS 1.3 key updates and session
    // tickets still make a read write and a write read).
    private var handshakeWantsWrite = false
    private var readWantsWrite = false
    private var writeWantsRead = false
    /// The socket took less than we had: wait for EV_WRITE rather than the next before-sleep.
    private var writeBlocked = false
    /// Back-pressure: reading stopped because the delegate could not write its answers.
    private var isReadPaused = false
    /// Set when write(reservingAtLeast:) refused during the current delivery.
    private var outputWasRefused = false
    /// The largest reservation refused: reading resumes once that much (and at least half the
    /// ring) is free again.
    private var refusedReservation = 0

    private var callbackDepth = 0
    private var closeReason: CloseReason = .closedLocally
    private var isTornDown = false
    private var lastActivityMilliseconds: Int64

    // EventLoop bookkeeping.
    var registryIndex = -1
    var isQueuedForRead = false
    var isQueuedForFlush = false
    var isWaitingAtGate = false

    // The flush gate (OutputGate.swift), when the loop has one: bytes written and sent since
    // the connection opened, and which of the unsent ones wait for a durable batch.
    private var bytesWritten = 0
    private var bytesSent = 0
    private var held = HeldOutput()

    /// Accepted: `expectsProxyHeader` when the peer is a listed balancer (the Listener decides).
    convenience init?(loop: EventLoop, fd: Int32, tls: TLSServerContext?, options: ConnectionOptions, peer: Endpoint? = nil,
                      expectsProxyHeader: Bool = false) {
        guard let stream = TLSStream(fd: fd, context: tls) else { return nil }
        self.init(loop: loop, stream: stream, options: options, peer: peer, expectsProxyHeader: expectsProxyHeader)
    }

    /// Accepted (Listener) or connected (Connector): the stream decides the TLS role.
    /// `peer`: the address accept gave (nil: asked of the socket).
    init(loop: EventLoop, stream: TLSStream, options: ConnectionOptions, peer: Endpoint? = nil, expectsProxyHeader: Bool = false) {
        let fd = stream.fd
        self.loop = loop
        self.options = options
        self.stream = stream
        self.peer = (peer ?? Sys.peerEndpoint(fd))?.description ?? "unknown"
        input = RingBuffer(capacity: options.inputCapacityBytes)
        output = RingBuffer(capacity: options.outputCapacityBytes)
        state = expectsProxyHeader ? .proxyHeader : stream.isTLS ? .handshaking : .open
        lastActivityMilliseconds = loop.nowMilliseconds
        readWatcher = IOWatcher(loop: loop, fd: fd, events: Int32(SHIM_EV_READ)) { [unowned self] in self.handleReadable() }
        writeWatcher = IOWatcher(loop: loop, fd: fd, events: Int32(SHIM_EV_WRITE)) { [unowned self] in self.handleWritable() }
    }

    /// Called by the Listener right after onAccept, or by the Connector after onConnect (the
    /// delegate is set by then).
    func start() {
        guard state != .closed else { return }  // onAccept may refuse it with close()
        loop.register(self)
        enter()
        if state == .proxyHeader || state == .handshaking {
            // One deadline for the header and the handshake together.
            let t = LoopTimer(loop: loop) { [unowned self] in self.timerFired() }
            timer = t
            t.schedule(after: options.handshakeTimeout)
            if state == .proxyHeader { readProxyHeader() } else { continueHandshake() }
        } else {
            delegate?.connectionDidBecomeReady(self)
            if state == .open { read0() }
        }
        leave()
    }

    // MARK: public byte API

    /// Reserves at least `minimumBytes` contiguous writable bytes in the output ring, lets `body`
    /// write (up to the buffer's count; the memory is valid only during the call) and commits the
    /// count it returns. Returns false without calling `body` when there is not that much room
    /// (back-pressure: return from didReceive without consuming the message), or when the
    /// connection is not open. The bytes go out in the before-sleep flush.
    public func write(reservingAtLeast minimumBytes: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int) -> Bool {
        loop.assertOnLoopThread()
        precondition(minimumBytes >= 0 && minimumBytes <= output.capacity,
                     "reservation of \(minimumBytes) bytes exceeds the output ring (\(output.capacity))")
        guard state == .open else { return false }
        guard output.writableBytes >= minimumBytes else {
            outputWasRefused = true
            refusedReservation = max(refusedReservation, minimumBytes)
            return false
        }
        let mapError = output.mapIfNeeded()
        guard mapError == 0 else {
            close(reason: .outOfMemory(errno: mapError), graceful: false)
            return false
        }
        let written = output.withUnsafeWritableBytes { free in body(free) }
        precondition(written >= 0 && written <= output.writableBytes, "write body returned \(written), beyond the reserved space")
        guard written > 0 else { return true }
        if let gate = loop.outputGate, gate.nextWrite != 0 {
            if gate.nextWrite > gate.released { held.hold(from: bytesWritten, until: gate.nextWrite) }
            gate.nextWrite = 0
        }
        bytesWritten &+= written
        output.commitWrite(written)
        loop.scheduleFlush(self)
        return true
    }

    /// Writes the output ring to the socket now instead of in the before-sleep flush (one
    /// SSL_write per call when the socket takes it all). For clients that want to control how
    /// many PDUs go out per write (smppbench --batch). No-op when blocked or not open.
    public func flushNow() {
        loop.assertOnLoopThread()
        guard state == .open || state == .draining, !writeBlocked, !writeWantsRead, !output.isEmpty else { return }
        enter()
        flush0()
        leave()
    }

    /// Free bytes in the output ring (its full capacity when nothing is pending).
    public var outputFreeBytes: Int { output.writableBytes }
    public var outputCapacityBytes: Int { output.capacity }
    public var inputCapacityBytes: Int { input.capacity }
    public var hasPendingOutput: Bool { !output.isEmpty }
    /// Back-pressure is in force: the socket is not being read until output drains.
    public var isReadingPaused: Bool { isReadPaused }
    public var isOpen: Bool { state == .open }

    /// Closes now: pending output is dropped; the delegate gets connectionDidClose(.closedLocally).
    public func close() {
        loop.assertOnLoopThread()
        close(reason: .closedLocally, graceful: false)
    }

    /// Stops reading, flushes pending output (bounded by options.flushTimeout), sends TLS
    /// close_notify, then closes (.closedLocally, or .flushTimeout when the peer would not take
    /// the bytes in time). Further writes are refused.
    public func closeAfterFlush() {
        loop.assertOnLoopThread()
        switch state {
        case .closed, .draining:
            return
        case .proxyHeader, .handshaking:
            close(reason: .closedLocally, graceful: false)
        case .open:
            state = .draining
            if output.isEmpty {
                close(reason: .closedLocally, graceful: true)
                return
            }
            let t = timer ?? LoopTimer(loop: loop) { [unowned self] in self.timerFired() }
            timer = t
            t.schedule(after: options.flushTimeout)
            loop.scheduleFlush(self)
            if callbackDepth == 0 { updateInterest() }
        }
    }

    // MARK: event entry points (each wrapped in enter/leave)

    private func handleReadable() {
        enter()
        switch state {
        case .proxyHeader:
            readProxyHeader()
        case .handshaking:
            continueHandshake()
        case .open, .draining:
            if writeWantsRead { flush0() }
            if state == .open && !isReadPaused && !readWantsWrite { read0() }
            // The answers to what was just read go out now, one write for the whole burst, as
            // the ceiling server does: held for the before-sleep flush, they would wait while
            // the loop reads the other connections and handles carrier events, which adds that
            // wait to every response's latency. Writes queued later in the iteration
            // (deliver_sm) go out in the before-sleep flush.
            if (state == .open || state == .draining) && !output.isEmpty && !writeBlocked && !writeWantsRead { flush0() }
        case .closed:
            break
        }
        leave()
    }

    private func handleWritable() {
        enter()
        switch state {
        case .proxyHeader:
            break
        case .handshaking:
            continueHandshake()
        case .open, .draining:
            if readWantsWrite {
                readWantsWrite = false
                if state == .open && !isReadPaused { read0() }
            }
            if state != .closed && !output.isEmpty && !writeWantsRead { flush0() }
        case .closed:
            break
        }
        leave()
    }

    /// From the loop's before-sleep pass: bytes OpenSSL buffered, or reading resumed after
    /// back-pressure. Re-offers what the input ring holds first.
    func readFromQueue() {
        guard state == .open, !isReadPaused else { return }
        enter()
        deliver()
        if state == .open && !isReadPaused && !readWantsWrite { read0() }
        leave()
    }

    /// From the loop's before-sleep pass: the one flush per iteration.
    func flushFromQueue() {
        guard state == .open || state == .draining, !writeBlocked, !writeWantsRead else { return }
        enter()
        flush0()
        leave()
    }

    private func timerFired() {
        enter()
        switch state {
        case .proxyHeader:
            close(reason: .proxyHeaderInvalid("no complete header within the handshake timeout (\(proxyBytes.count) bytes)"),
                  graceful: false)
        case .handshaking: close(reason: .handshakeTimeout, graceful: false)
        case .draining: close(reason: .flushTimeout, graceful: false)
        case .open, .closed: break
        }
        leave()
    }

    /// Sweep: an idle connection with empty rings gives their pages back to the kernel.
    func releaseIdleBuffers(now: Int64) {
        guard state == .open, let after = options.releaseIdleBuffersAfter else { return }
        let idleFor = now - lastActivityMilliseconds
        guard idleFor >= Int64(after.evSeconds * 1000) else { return }
        input.releaseMemoryIfEmpty()
        output.releaseMemoryIfEmpty()
    }

    // MARK: the work

    /// Reads the PROXY v2 header, exactly as many bytes as ProxyHeader still needs per read,
    /// so the first TLS (or SMPP) byte stays in the socket for what comes next. A valid header
    /// sets `peer` to the client it names (LOCAL keeps the socket's) and moves on to the
    /// handshake; anything else closes with .proxyHeaderInvalid. Connection set-up only.
    private func readProxyHeader() {
        while state == .proxyHeader {
            switch ProxyHeader.parse(proxyBytes) {
            case let .needMore(count):
                switch Sys.read(stream.fd, appendingTo: &proxyBytes, count: count) {
                case .bytes:
                    continue
                case .wouldBlock:
                    return
                case .eof:
                    close(reason: .proxyHeaderInvalid("peer closed the connection after \(proxyBytes.count) bytes of the header"),
                          graceful: false)
                case let .failed(code):
                    close(reason: .proxyHeaderInvalid("connection error after \(proxyBytes.count) bytes of the header: \(Sys.describe(errno: code))"),
                          graceful: false)
                }
            case let .header(source, _, _):
                peer = source.endpoint.description
                proxyHeaderDone()
            case .local:
                proxyHeaderDone()
            case let .invalid(reason):
                close(reason: .proxyHeaderInvalid(reason), graceful: false)
            }
        }
    }

    private func proxyHeaderDone() {
        proxyBytes = []
        if stream.isTLS {
            state = .handshaking
            continueHandshake()  // the ClientHello may already be in the socket
            return
        }
        state = .open
        timer?.cancel()
        lastActivityMilliseconds = loop.nowMilliseconds
        delegate?.connectionDidBecomeReady(self)
        if state == .open { read0() }
    }

    private func continueHandshake() {
        switch stream.handshake() {
        case .bytes:
            state = .open
            handshakeWantsWrite = false
            timer?.cancel()
            tlsVersion = stream.protocolVersion
            lastActivityMilliseconds = loop.nowMilliseconds
            delegate?.connectionDidBecomeReady(self)
            // Application bytes may have arrived with the client's Finished.
            if state == .open { read0() }
        case .wantRead:
            handshakeWantsWrite = false
        case .wantWrite:
            handshakeWantsWrite = true
        case .eof:
            close(reason: .handshakeFailed("peer closed the connection during the handshake"), graceful: false)
        case let .failed(reason):
            close(reason: .handshakeFailed(Self.text(of: reason)), graceful: false)
        }
    }

    /// Reads until the socket would block, the fairness budget is spent, back-pressure starts or
    /// the connection closes; hands each chunk to the delegate as it lands.
    private func read0() {
        var budget = options.maxReadBytesPerEvent
        while state == .open && !isReadPaused {
            if budget <= 0 {
                // Fairness cap reached. Bytes still in the socket wake us again (level-triggered);
                // bytes already inside OpenSSL would not, so queue those explicitly.
                if stream.hasBufferedInput { loop.scheduleRead(self) }
                return
            }
            let mapError = input.mapIfNeeded()
            guard mapError == 0 else {
                close(reason: .outOfMemory(errno: mapError), graceful: false)
                return
            }
            if input.writableBytes == 0 {
                deliver()
                if state != .open || isReadPaused { return }
                if input.writableBytes == 0 {
                    close(reason: .inputOverflow, graceful: false)
                    return
                }
                continue
            }
            switch stream.read(into: input, limit: budget) {
            case let .bytes(n):
                budget -= n
                lastActivityMilliseconds = loop.nowMilliseconds
                deliver()
            case .wantRead:
                return
            case .wantWrite:
                readWantsWrite = true
                return
            case .eof:
                close(reason: .peerClosed, graceful: false)
                return
            case let .failed(reason):
                close(reason: reason, graceful: false)
                return
            }
        }
    }

    /// Offers the input ring to the delegate once and consumes what it took.
    private func deliver() {
        guard !input.isEmpty else { return }
        guard let delegate else {
            input.consume(input.readableBytes)  // nobody listens: do not let it fill up
            return
        }
        outputWasRefused = false
        let available = input.readableBytes
        let consumed = input.withUnsafeReadableBytes { delegate.connection(self, didReceive: $0) }
        precondition(consumed >= 0 && consumed <= available, "didReceive returned \(consumed) of \(available) bytes")
        guard state != .closed else { return }
        input.consume(consumed)
        if outputWasRefused && !input.isEmpty && state == .open {
            isReadPaused = true
        }
    }

    /// How many of the output ring's bytes may leave now: all of them, or those before the
    /// first range the gate still holds (then the gate flushes this connection again when it
    /// releases that range's batch).
    private func sendableBytes() -> Int {
        guard !held.isEmpty, let gate = loop.outputGate else { return output.readableBytes }
        guard let start = held.firstHeldStart(released: gate.released) else { return output.readableBytes }
        gate.wait(self)
        return start &- bytesSent
    }

    /// Writes the output ring until it is empty (or up to the bytes the gate holds), or the
    /// socket would block.
    private func flush0() {
        writeWantsRead = false
        writeBlocked = false
        while !output.isEmpty {
            let sendable = sendableBytes()
            guard sendable > 0 else { return }
            switch stream.write(from: output, limit: sendable) {
            case let .bytes(n):
                bytesSent &+= n
                lastActivityMilliseconds = loop.nowMilliseconds
            case .wantWrite:
                writeBlocked = true
                resumeReadingIfRoom()
                return
            case .wantRead:
                writeWantsRead = true
                resumeReadingIfRoom()
                return
            case .eof:
                close(reason: .peerClosed, graceful: false)
                return
            case let .failed(reason):
                close(reason: reason, graceful: false)
                return
            }
        }
        if state == .draining {
            close(reason: .closedLocally, graceful: true)
            return
        }
        resumeReadingIfRoom()
        if let drained = onOutputDrained { drained() }
    }

    private func resumeReadingIfRoom() {
        guard isReadPaused, state == .open else { return }
        guard output.writableBytes >= max(refusedReservation, output.capacity / 2) else { return }
        isReadPaused = false
        refusedReservation = 0
        loop.scheduleRead(self)
    }

    // MARK: closing

    private func close(reason: CloseReason, graceful: Bool) {
        guard state != .closed else { return }
        state = .closed
        closeReason = reason
        readWatcher?.stop()
        writeWatcher?.stop()
        timer?.cancel()
        if graceful { stream.shutdownGracefully() }
        if callbackDepth == 0 { teardown() }
    }

    /// Frees everything and tells the delegate, once, outside any delegate callback.
    private func teardown() {
        guard !isTornDown else { return }
        isTornDown = true
        withExtendedLifetime(self) {
            stream.close()
            input.consume(input.readableBytes)
            output.consume(output.readableBytes)
            held.removeAll()
            input.releaseMemoryIfEmpty()
            output.releaseMemoryIfEmpty()
            timer = nil
            readWatcher = nil
            writeWatcher = nil
            onOutputDrained = nil
            loop.unregister(self)
            let told = delegate
            delegate = nil
            told?.connectionDidClose(self, reason: closeReason)
        }
    }

    @inline(__always) private func enter() { callbackDepth += 1 }

    private func leave() {
        callbackDepth -= 1
        guard callbackDepth == 0 else { return }
        if state == .closed { teardown() } else { updateInterest() }
    }

    /// Starts/stops the two watchers to match what the state machine waits for.
    private func updateInterest() {
        let wantRead: Bool
        let wantWrite: Bool
        switch state {
        case .proxyHeader:
            wantRead = true
            wantWrite = false
        case .handshaking:
            wantRead = !handshakeWantsWrite
            wantWrite = handshakeWantsWrite
        case .open:
            wantRead = writeWantsRead || (!isReadPaused && !readWantsWrite)
            wantWrite = readWantsWrite || writeBlocked
        case .draining:
            wantRead = writeWantsRead
            wantWrite = writeBlocked
        case .closed:
            wantRead = false
            wantWrite = false
        }
        readWatcher?.set(active: wantRead)
        writeWatcher?.set(active: wantWrite)
    }

    private static func text(of reason: CloseReason) -> String {
        switch reason {
        case let .tlsError(text), let .handshakeFailed(text): text
        default: reason.description
        }
    }

    // MARK: tests only

    var testsOnly_outputReadableBytes: Int { output.readableBytes }
    var testsOnly_inputReadableBytes: Int { input.readableBytes }
    var testsOnly_ringsMapped: (input: Bool, output: Bool) { (input.isMapped, output.isMapped) }
    /// True while the readable input bytes run across the ring's physical end (the mirror at work).
    var testsOnly_inputStraddlesWrap: Bool { input.testsOnly_straddlesWrap }
}
