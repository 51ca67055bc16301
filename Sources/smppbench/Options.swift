// smppbench's command line (ArgumentParser) and the validated settings it produces.

import ArgumentParser
import Reactor
import SMPP

struct SmppBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smppbench",
        abstract: "SMPP v3.4 load generator: windowed, batched submit_sm over TLS or plaintext, with latency histograms.",
        discussion: """
        --measure picks what is measured (default submit):
          submit      submit_sm (and receipts) per second over --connections bound sessions
          handshakes  TLS handshakes per second: --connections concurrent connect + handshake + close cycles
          binds       bind round trips per second: connect + TLS + bind + unbind cycles, bind latency
          idle        hold --connections bound sessions idle for --duration s (or until SIGINT/SIGTERM)
        handshakes and binds stop after --count cycles (default 1000) or --duration seconds.
        """
    )

    @Option(help: "What to measure: submit, handshakes, binds or idle.") var measure = "submit"
    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: UInt16 = 2775
    @Option(name: .customLong("system-id"), help: "system_id to bind with.") var systemID: String
    @Option(help: "Password to bind with.") var password: String
    @Flag(help: "TLS without certificate verification.") var insecure = false
    @Option(help: "Verify the server against the CA certificates in this PEM file.") var cafile: String?
    @Flag(help: "Plain TCP, no TLS.") var plaintext = false
    @Option(help: "Sessions (connections); for handshakes and binds, the cycles run concurrently.") var connections = 1
    @Option(help: "Unanswered submit_sm allowed per session.") var window = 10
    @Option(help: "Overall submit_sm per second (token bucket across sessions); 0 = unlimited.") var rate: Double = 0
    @Option(help: "Stop submitting (handshakes, binds: starting cycles) after this many seconds; idle: hold this long.") var duration: Double?
    @Option(help: "Stop after this many submit_sm (default 10000) or handshake/bind cycles (default 1000) when no --duration.") var count: Int?
    @Option(help: "transceiver, transmitter or receiver.") var bind = "transceiver"
    @Flag(help: "Ask for delivery receipts (registered_delivery=1) and match them to message_ids.") var receipts = false
    @Flag(name: .customLong("await-mo"), help: "Expect one MO deliver_sm per accepted submit (a server replying to every message, e.g. smppd's carrier.mo-auto-reply): wait for them and report MO/s.") var awaitMO = false
    @Option(help: "Message mix in percent: ascii=80,ucs2=10,long=10 (long = 2-part concatenated ASCII).") var mix = "ascii=100"
    @Option(help: "PDUs per write when the window allows (1 = one SSL_write per PDU).") var batch = 1
    @Option(help: "Write the final report as JSON to this file.") var json: String?
    @Option(help: "Write the latency percentile distribution (submit->resp; handshakes: connect->handshake; binds, idle: bind->resp) in HdrHistogram's text format, values in milliseconds, to this file.") var hgrm: String?
    @Option(help: "Destination address of the submits.") var destination = "447700900001"
    @Option(help: "Seconds to wait for outstanding responses and receipts after the last submit (other modes: for the cycles in progress, or for unbind_resp).") var drain: Double = 30
    @Option(name: .customLong("connect-batch"), help: "idle: at most this many sessions connecting, handshaking or binding at once.") var connectBatch = 200
    @Option(name: .customLong("enquire-link"), help: "idle: each session sends enquire_link every this many seconds; 0 = never (it still answers the server's).") var enquireLink: Double = 0
    @Option(name: .customLong("also-port"), help: "submit: spread the --connections sessions round-robin over --port and this port (same --host; repeatable), e.g. the nodes of a cluster.") var alsoPort: [UInt16] = []
    @Option(name: .customLong("receiver-port"), help: "submit, with --receipts and --bind transmitter: bind --receivers receiver sessions to this port (same --host) before submitting, and match the receipts that arrive on them (a receiver on another node of a cluster).") var receiverPort: UInt16?
    @Option(help: "Receiver sessions for --receiver-port.") var receivers = 1
    @Option(name: .customLong("ramp-timeout"), help: "idle: start holding after this many seconds even if not every session is bound yet.") var rampTimeout: Double = 300

    func validate() throws {
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard window >= 1 else { throw ValidationError("--window must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard rate >= 0 else { throw ValidationError("--rate must not be negative") }
        guard !(insecure && cafile != nil) else { throw ValidationError("--insecure and --cafile exclude each other") }
        guard !(plaintext && (insecure || cafile != nil)) else { throw ValidationError("--plaintext excludes --insecure and --cafile") }
        guard plaintext || insecure || cafile != nil else {
            throw ValidationError("choose --insecure, --cafile PEM or --plaintext")
        }
        guard !awaitMO || BenchSettings.bindKind(bind) == .transceiver else {
            throw ValidationError("--await-mo needs --bind transceiver (MO arrive on the session that submits)")
        }
        guard BenchSettings.bindKind(bind) != nil else { throw ValidationError("--bind must be transceiver, transmitter or receiver") }
        guard (try? Mix(parsing: mix)) != nil else { throw ValidationError("--mix: expected e.g. ascii=80,ucs2=10,long=10") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        guard let mode = Measure(rawValue: measure) else {
            throw ValidationError("--measure must be submit, handshakes, binds or idle")
        }
        guard drain > 0 else { throw ValidationError("--drain must be positive") }
        guard connectBatch >= 1 else { throw ValidationError("--connect-batch must be at least 1") }
        guard enquireLink >= 0 else { throw ValidationError("--enquire-link must not be negative") }
        guard rampTimeout > 0 else { throw ValidationError("--ramp-timeout must be positive") }
        guard receivers >= 1 else { throw ValidationError("--receivers must be at least 1") }
        if mode != .submit && (!alsoPort.isEmpty || receiverPort != nil) {
            throw ValidationError("--also-port and --receiver-port apply to --measure submit only")
        }
        if receiverPort != nil && !(receipts && BenchSettings.bindKind(bind) == .transmitter) {
            throw ValidationError("--receiver-port needs --receipts and --bind transmitter (the receipts must arrive on the receivers only)")
        }
        if mode != .submit && receipts { throw ValidationError("--receipts applies to --measure submit only") }
        if mode == .handshakes && plaintext { throw ValidationError("--measure handshakes needs TLS (--insecure or --cafile)") }
        if mode == .idle && count != nil { throw ValidationError("--count does not apply to --measure idle (use --connections and --duration)") }
    }

    func run() throws {
        let mode = Measure(rawValue: measure)!  // validate() checked it
        let tls: TLSClientContext?
        if plaintext {
            tls = nil
        } else if let cafile {
            tls = try TLSClientContext(verification: .caFile(cafile))
        } else {
            tls = try TLSClientContext(verification: .none)
        }
        let settings = try settings()
        let ok: Bool
        switch mode {
        case .submit: ok = try Bench(settings: settings, tls: tls).run()
        case .handshakes: ok = try CycleBench(kind: .handshakes, settings: settings, tls: tls).run()
        case .binds: ok = try CycleBench(kind: .binds, settings: settings, tls: tls).run()
        case .idle: ok = try IdleBench(settings: settings, tls: tls).run()
        }
        if !ok { throw ExitCode(1) }
    }

    /// The validated options as the settings every mode runs with.
    func settings() throws -> BenchSettings {
        let mode = Measure(rawValue: measure)!  // validate() checked it
        return BenchSettings(
            endpoint: Endpoint(host: host, port: port), systemID: systemID, password: password,
            tlsLabel: plaintext ? "plaintext" : (cafile != nil ? "tls (verified)" : "tls (insecure)"),
            connections: connections, window: window, rate: rate,
            duration: duration, count: mode == .idle ? nil : (duration == nil ? (count ?? (mode == .submit ? 10_000 : 1000)) : count),
            bindKind: BenchSettings.bindKind(bind)!, bindName: bind, receipts: receipts, awaitMO: awaitMO,
            mix: try Mix(parsing: mix), batch: min(batch, window), jsonPath: json, hgrmPath: hgrm,
            destination: destination, drainSeconds: drain,
            measure: mode, connectBatch: connectBatch, enquireLinkSeconds: enquireLink, rampTimeoutSeconds: rampTimeout,
            alsoEndpoints: alsoPort.map { Endpoint(host: host, port: $0) },
            receiverEndpoint: receiverPort.map { Endpoint(host: host, port: $0) }, receiverSessions: receivers)
    }
}

struct BenchSettings {
    var endpoint: Endpoint
    var systemID: String
    var password: String
    var tlsLabel: String
    var connections: Int
    var window: Int
    var rate: Double
    var duration: Double?
    var count: Int?
    var bindKind: BindKind
    var bindName: String
    var receipts: Bool
    var awaitMO = false
    var mix: Mix
    var batch: Int
    var jsonPath: String?
    /// --hgrm: the measured latency's percentile distribution (HdrHistogram text format).
    var hgrmPath: String? = nil
    var destination: String
    var drainSeconds: Double
    var measure: Measure = .submit
    /// idle: sessions connecting/handshaking/binding at once while ramping up.
    var connectBatch: Int = 200
    /// idle: enquire_link interval per session; 0 = none.
    var enquireLinkSeconds: Double = 0
    var rampTimeoutSeconds: Double = 300
    /// --also-port: more servers the submitting sessions are spread over.
    var alsoEndpoints: [Endpoint] = []
    /// --receiver-port: where the receiver sessions that count the receipts bind.
    var receiverEndpoint: Endpoint? = nil
    var receiverSessions = 1

    static func bindKind(_ text: String) -> BindKind? {
        switch text {
        case "transceiver", "trx": .transceiver
        case "transmitter", "tx": .transmitter
        case "receiver", "rx": .receiver
        default: nil
        }
    }
}

/// What one run measures (--measure).
enum Measure: String {
    case submit, handshakes, binds, idle
}

/// The message mix: a 100-slot pattern cycled by every session.
struct Mix: CustomStringConvertible {
    enum Kind: String { case ascii, ucs2, long }
    var weights: [(Kind, Int)]
    /// 100 kinds, interleaved (not 80 ascii then 10 ucs2...).
    let pattern: [Kind]

    init(parsing text: String) throws {
        var weights: [(Kind, Int)] = []
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=")
            guard pair.count == 2, let kind = Kind(rawValue: String(pair[0])), let w = Int(pair[1]), w >= 0 else {
                throw ValidationError("bad --mix entry \(part)")
            }
            weights.append((kind, w))
        }
        let total = weights.reduce(0) { $0 + $1.1 }
        guard total > 0 else { throw ValidationError("--mix weights sum to 0") }
        self.weights = weights
        // Smooth weighted round-robin over 100 slots.
        var current = [Int](repeating: 0, count: weights.count)
        var pattern: [Kind] = []
        for _ in 0..<100 {
            var best = 0
            for i in weights.indices {
                current[i] += weights[i].1
                if current[i] > current[best] { best = i }
            }
            current[best] -= total
            pattern.append(weights[best].0)
        }
        self.pattern = pattern
    }

    var description: String { weights.map { "\($0.0.rawValue)=\($0.1)" }.joined(separator: ",") }
}
