// SubmitWindow: one session's submit_sm awaiting their submit_sm_resp, by sequence_number,
// with the message (resent if the session is lost) and its send time (latency, timeouts).
// Sequence numbers are issued consecutively and at most `limit` submits are unanswered, so a
// ring indexed by the number's low bits holds them; a number whose slot an older unanswered
// submit still holds is not issued for a submit (`canTake` is false) until that one is
// answered or its timeout drops the session. No hashing, no allocation per message.
// Loop thread.

struct SubmitWindow {
    private var sequences: [UInt32]
    private var sentAtNs: [UInt64]
    private var messages: [OutboundMessage?]
    private let mask: Int
    /// Most submits unanswered at once.
    let limit: Int
    private(set) var count = 0

    /// A ring at least four times `limit` (a power of two), so the requests between submits
    /// (enquire_link) rarely land a new submit on a slot still taken.
    init(limit: Int) {
        self.limit = max(1, limit)
        var size = 16
        while size < 4 * self.limit { size *= 2 }
        sequences = Array(repeating: 0, count: size)  // 0: free (sequence numbers start at 1)
        sentAtNs = Array(repeating: 0, count: size)
        messages = Array(repeating: nil, count: size)
        mask = size - 1
    }

    var isEmpty: Bool { count == 0 }
    var isFull: Bool { count >= limit }

    /// True when a submit may be sent with `sequence`: room in the window and its slot free.
    @inline(__always)
    func canTake(_ sequence: UInt32) -> Bool {
        count < limit && sequences[Int(sequence) & mask] == 0
    }

    mutating func insert(_ message: OutboundMessage, sequence: UInt32, sentAtNs time: UInt64) {
        let slot = Int(sequence) & mask
        precondition(sequence != 0 && sequences[slot] == 0, "SubmitWindow: slot taken (check canTake first)")
        sequences[slot] = sequence
        sentAtNs[slot] = time
        messages[slot] = message
        count += 1
    }

    /// The message sent with `sequence` and its send time, removed; nil when not in flight.
    mutating func remove(_ sequence: UInt32) -> (message: OutboundMessage, sentAtNs: UInt64)? {
        let slot = Int(sequence) & mask
        guard sequence != 0, sequences[slot] == sequence, let message = messages[slot].take() else { return nil }
        sequences[slot] = 0
        count -= 1
        return (message, sentAtNs[slot])
    }

    /// The send time of the oldest unanswered submit (a scan: called by the session's timer,
    /// not per message).
    func oldestSentAtNs() -> UInt64? {
        guard count > 0 else { return nil }
        var oldest = UInt64.max
        for i in sequences.indices where sequences[i] != 0 && sentAtNs[i] < oldest { oldest = sentAtNs[i] }
        return oldest
    }

    /// Every unanswered message, oldest first; the window is left empty.
    mutating func drain() -> [OutboundMessage] {
        guard count > 0 else { return [] }
        var taken: [(UInt64, OutboundMessage)] = []
        taken.reserveCapacity(count)
        for i in sequences.indices where sequences[i] != 0 {
            sequences[i] = 0
            if let m = messages[i].take() { taken.append((sentAtNs[i], m)) }
        }
        count = 0
        taken.sort { $0.0 < $1.0 }
        return taken.map { $0.1 }
    }
}
