// WriteOutcome: the answer of the text-side writers (UDH, receipt text) that fill a
// caller's buffer. A writer either wrote everything or nothing; it never writes past the
// buffer and reports how many bytes it would need.

/// What a write into a caller-provided buffer did.
public enum WriteOutcome: Hashable, Sendable {
    /// All `byteCount` bytes were written from the buffer's start index.
    case written(byteCount: Int)
    /// Nothing was written: the buffer holds fewer than `byteCount` bytes.
    case needsCapacity(byteCount: Int)
}
