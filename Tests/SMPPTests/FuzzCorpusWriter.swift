// Writes the hand-assembled vectors as the libFuzzer seed corpus (perf/fuzz/corpus/<name>.bin).
// Runs only when asked: SMPPD_WRITE_CORPUS=1 swift test --filter writeFuzzSeedCorpus
#if canImport(Glibc)
import Glibc
import Testing

@Suite struct FuzzCorpusWriter {
    @Test(.enabled(if: getenv("SMPPD_WRITE_CORPUS") != nil))
    func writeFuzzSeedCorpus() throws {
        let testsDir = String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/"))
        let dir = testsDir + "/perf/fuzz/corpus"
        for (name, bytes) in Vectors.all {
            let path = dir + "/" + name + ".bin"
            let f = try #require(fopen(path, "wb"), "cannot write \(path)")
            #expect(bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) } == bytes.count)
            fclose(f)
        }
        // Two PDUs back to back, so the framing loop is exercised from the start.
        let stream = Vectors.submitSM + Vectors.enquireLink + Vectors.deliverSMResp
        let f = try #require(fopen(dir + "/stream_submit_enquire_resp.bin", "wb"))
        _ = stream.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }
}
#endif
