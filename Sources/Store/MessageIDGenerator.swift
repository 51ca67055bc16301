// MessageIDGenerator: issues MessageIDs unique across restarts (C-SUB-1). A value owned by
// the loop thread next to the store; the layout and the uniqueness argument are below.

// Layout of the 64-bit value, most significant first:
//   [41 bits: milliseconds since 2024-01-01T00:00:00Z][4 bits: instance][19 bits: counter]
// A start at wall-clock millisecond S begins at (S, instance, 0). Each id increments the
// counter; when it passes 2^19 - 1 it wraps to 0 and the millisecond field advances by one.
// So the millisecond field is a logical clock that starts at the wall clock and runs ahead
// of it only if more than 2^19 ids (524 288) are issued per millisecond (5.2e8/s).
//
// Uniqueness across restarts of one instance. A run that started at S and has run until
// wall-clock millisecond T has issued at most (T - S + 1) * 2^19 ids at any achievable rate,
// so every value it issued is below (T + 1) << 23 (fields above). The next start happens
// at a millisecond S' > T_last (the last millisecond the previous run issued an id): a
// restart (exit or kill -9, exec, config load, TLS setup) takes far more than 1 ms. Its
// first value is S' << 23 >= (T_last + 1) << 23, above every earlier value; within a run
// values only increase. Two starts in the same millisecond are therefore impossible for
// one process, and "rapid restart" is covered by the 1 ms resolution, not by luck.
// What the argument assumes: the wall clock does not step back across a restart. Durable
// mode removes that assumption: it passes the largest persisted id as `floor`, and the
// first id is then above it whatever the clock says (C-DATA-1's seam, MessageStore.swift).
// Different instances (several loops or processes sharing a port, DESIGN.md "Scale")
// differ in the instance field, so they cannot collide with each other.
// The millisecond field lasts 2^41 ms (69 years, until 2093); `next()` traps after that.
// Text length: at most 16 hex characters or 20 decimal digits (MessageIDFormat).

/// Issues unique message_ids; see the file header for the layout and the proof.
public struct MessageIDGenerator {
    /// Unix time in milliseconds of the layout's epoch, 2024-01-01T00:00:00Z.
    public static let epochUnixMillis: Int64 = 1_704_067_200_000
    /// Bits of the per-millisecond counter.
    public static let counterBits = 19
    /// Bits of the instance number (0...15).
    public static let instanceBits = 4

    private static let counterLimit: UInt64 = 1 << UInt64(counterBits)
    private static let millisecondShift = UInt64(counterBits + instanceBits)
    private static let millisecondLimit: UInt64 = 1 << (64 - millisecondShift)

    private var millisecond: UInt64
    private var counter: UInt64
    private let instanceField: UInt64

    /// The last id `next()` returned, nil before the first. Durable mode persists ids with
    /// their records, so the largest stored id is the next start's `floor`.
    public private(set) var lastIssued: MessageID?

    /// A generator for a process that started at `startUnixMillis` (wall clock).
    ///
    /// - Parameters:
    ///   - startUnixMillis: wall-clock Unix time in ms at start; earlier than the epoch counts
    ///     as the epoch's first millisecond.
    ///   - instance: 0...15, distinct for processes or loops that issue ids at the same time.
    ///   - floor: the largest id a previous run may have issued (durable mode: the largest
    ///     persisted id); every id issued is above it and above the wall-clock start.
    public init(startUnixMillis: Int64, instance: UInt8 = 0, floor: MessageID? = nil) {
        precondition(Int(instance) < 1 << MessageIDGenerator.instanceBits, "instance must be 0...15")
        let sinceEpoch = UInt64(max(startUnixMillis - MessageIDGenerator.epochUnixMillis, 1))
        precondition(sinceEpoch < MessageIDGenerator.millisecondLimit, "clock beyond the id layout's range")
        millisecond = sinceEpoch
        counter = 0
        instanceField = UInt64(instance) << UInt64(MessageIDGenerator.counterBits)
        // Above the floor whatever the clock says: the floor's next millisecond is free for
        // every instance (this wastes at most one millisecond of counter space).
        if let floor, value <= floor.rawValue {
            millisecond = (floor.rawValue >> MessageIDGenerator.millisecondShift) + 1
        }
    }

    /// The instance field of `id`: which process (in a cluster, which node) issued it.
    public static func instance(of id: MessageID) -> Int {
        Int(id.rawValue >> UInt64(counterBits)) & (1 << instanceBits - 1)
    }

    private var value: UInt64 {
        millisecond << MessageIDGenerator.millisecondShift | instanceField | counter
    }

    private mutating func advance() {
        counter += 1
        if counter == MessageIDGenerator.counterLimit {
            counter = 0
            millisecond += 1
        }
    }

    /// A new id, greater than every id this generator issued before. Never allocates.
    public mutating func next() -> MessageID {
        precondition(millisecond < MessageIDGenerator.millisecondLimit, "message id space exhausted (year 2093)")
        let id = MessageID(rawValue: value)
        advance()
        lastIssued = id
        return id
    }
}
