// InFlightWindow: the send time of every unanswered submit_sm of one session, by
// sequence_number. Sequence numbers are issued consecutively and at most `window` are
// unanswered, so a ring indexed by the number's low bits holds them all; a number whose slot
// is still taken by an older one that never got its answer goes to a small overflow table.
// Why not a Dictionary: it would hash every sequence number twice (insert, remove), and on a
// machine whose cores the client shares with the server, the client's CPU is the server's too.

struct InFlightWindow {
    private var sequences: [UInt32]
    private var sentAt: [UInt64]
    private let mask: Int
    private var overflow: [UInt32: UInt64] = [:]
    private(set) var count = 0

    /// Room for `window` unanswered PDUs in the ring (a power of two at least twice that).
    init(window: Int) {
        var size = 16
        while size < 2 * window { size *= 2 }
        sequences = Array(repeating: 0, count: size)   // 0: empty (SMPP sequence numbers start at 1)
        sentAt = Array(repeating: 0, count: size)
        mask = size - 1
    }

    var isEmpty: Bool { count == 0 }

    mutating func insert(_ sequence: UInt32, sentAt time: UInt64) {
        precondition(sequence != 0, "sequence_number 0 is not issued")
        let slot = Int(sequence) & mask
        if sequences[slot] == 0 {
            sequences[slot] = sequence
            sentAt[slot] = time
        } else {
            overflow[sequence] = time
        }
        count += 1
    }

    /// The send time of `sequence`, removed; nil when it is not in flight.
    mutating func remove(_ sequence: UInt32) -> UInt64? {
        let slot = Int(sequence) & mask
        if sequence != 0 && sequences[slot] == sequence {
            sequences[slot] = 0
            count -= 1
            return sentAt[slot]
        }
        guard !overflow.isEmpty, let time = overflow.removeValue(forKey: sequence) else { return nil }
        count -= 1
        return time
    }

    mutating func removeAll() {
        for i in sequences.indices { sequences[i] = 0 }
        overflow.removeAll()
        count = 0
    }
}
