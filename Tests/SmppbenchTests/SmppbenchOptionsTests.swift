// smppbench without a loop or a socket: the reconnect backoff (C-OPS-3), which --measure
// combinations the command line accepts, and the report's number and error formatting.

import Testing
@testable import smppbench

@Suite struct ReconnectBackoffTests {
    @Test func doublesFromOneSecondUpToSixty() {
        var b = ReconnectBackoff()
        let delays = (0..<9).map { _ in b.take() }
        #expect(delays == [1, 2, 4, 8, 16, 32, 60, 60, 60])
    }

    @Test func successStartsOverAtOneSecond() {
        var b = ReconnectBackoff()
        _ = b.take()
        _ = b.take()
        b.reset()
        #expect(b.take() == 1)
        #expect(b.take() == 2)
    }
}

@Suite struct MeasureOptionsTests {
    private let auth = ["--system-id", "a", "--password", "b"]

    private func accepts(_ args: [String]) -> Bool {
        (try? SmppBench.parse(auth + args)) != nil
    }

    @Test func submitIsTheDefault() throws {
        let command = try SmppBench.parse(auth + ["--insecure"])
        #expect(command.measure == "submit")
    }

    @Test(arguments: ["submit", "handshakes", "binds", "idle"])
    func everyModeParsesOverTLS(mode: String) {
        #expect(accepts(["--insecure", "--measure", mode]))
    }

    @Test func unknownModeIsRefused() {
        #expect(!accepts(["--insecure", "--measure", "latency"]))
    }

    @Test func handshakesNeedTLS() {
        #expect(!accepts(["--plaintext", "--measure", "handshakes"]))
        #expect(accepts(["--plaintext", "--measure", "binds"]))
    }

    @Test func idleTakesNoCount() {
        #expect(!accepts(["--insecure", "--measure", "idle", "--count", "5"]))
        #expect(accepts(["--insecure", "--measure", "idle", "--connections", "5", "--duration", "1"]))
    }

    @Test func receiptsAreForSubmitOnly() {
        #expect(accepts(["--insecure", "--receipts"]))
        #expect(!accepts(["--insecure", "--measure", "binds", "--receipts"]))
    }

    @Test func connectBatchAndEnquireLinkAreChecked() {
        #expect(!accepts(["--insecure", "--measure", "idle", "--connect-batch", "0"]))
        #expect(!accepts(["--insecure", "--measure", "idle", "--enquire-link", "-1"]))
    }
}

@Suite struct ReportFormattingTests {
    @Test func fixedDecimals() {
        #expect(Report.fmt(12.345, 1) == "12.3")
        #expect(Report.fmt(0.05, 3) == "0.050")
        #expect(Report.fmt(999.6, 0) == "1000")
    }

    @Test func errorsAreSortedByNameAndEscaped() {
        let errors = ["connect_failed": 1, "bind:ESME_RINVPASWD": 2, "odd\"name": 3]
        #expect(Report.errorsJSON(errors) == #"{"bind:ESME_RINVPASWD":2,"connect_failed":1,"odd\"name":3}"#)
        #expect(Report.errorsText(errors) == #"6 (bind:ESME_RINVPASWD 2, connect_failed 1, odd"name 3)"#)
        #expect(Report.errorsJSON([:]) == "{}")
        #expect(Report.errorsText([:]) == "0")
    }
}

/// Where the sessions of a submit run go (--also-port, --receiver-port): the cluster benchmarks.
@Suite struct SessionPlanTests {
    private let base = ["--system-id", "a", "--password", "b", "--insecure", "--port", "7001"]

    private func plans(_ args: [String]) throws -> [SessionPlan] {
        SessionPlan.plans(for: try SmppBench.parse(base + args).settings())
    }

    @Test func withoutTheOptionsEverySessionGoesToPortWithItsBind() throws {
        let p = try plans(["--connections", "3", "--bind", "transmitter"])
        #expect(p.map(\.endpoint.port) == [7001, 7001, 7001])
        #expect(p.allSatisfy { $0.bindKind == .transmitter && !$0.isReceiptReceiver })
    }

    @Test func alsoPortSpreadsTheSessionsRoundRobin() throws {
        let p = try plans(["--connections", "5", "--also-port", "7002", "--also-port", "7003"])
        #expect(p.map(\.endpoint.port) == [7001, 7002, 7003, 7001, 7002])
        #expect(p.allSatisfy { $0.bindKind == .transceiver && $0.endpoint.host == "127.0.0.1" })
    }

    @Test func receiverPortAddsReceiversThatComeFirst() throws {
        let p = try plans(["--connections", "2", "--bind", "transmitter", "--receipts", "--receiver-port", "7009",
                           "--receivers", "2"])
        #expect(p.map(\.endpoint.port) == [7009, 7009, 7001, 7001])
        #expect(p.map(\.bindKind) == [.receiver, .receiver, .transmitter, .transmitter])
        #expect(p.map(\.isReceiptReceiver) == [true, true, false, false])
    }

    @Test func receiverPortNeedsReceiptsAndTransmitters() {
        let accepts = { (args: [String]) in (try? SmppBench.parse(self.base + args)) != nil }
        #expect(!accepts(["--receiver-port", "7009", "--receipts"]))                      // transceivers get their own receipts
        #expect(!accepts(["--receiver-port", "7009", "--bind", "transmitter"]))           // nothing to count
        #expect(!accepts(["--receiver-port", "7009", "--bind", "transmitter", "--receipts", "--receivers", "0"]))
        #expect(!accepts(["--measure", "binds", "--also-port", "7002"]))
        #expect(accepts(["--receiver-port", "7009", "--bind", "transmitter", "--receipts"]))
    }
}
