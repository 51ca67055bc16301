// The three SMPP bind modes and what each may do (CONTRACT §2). Pure values, any thread.

/// How a session is bound. Decides which operations it may use and whether it gets deliver_sm.
public enum BindMode: String, Sendable, CaseIterable, CustomStringConvertible {
    case transmitter
    case receiver
    case transceiver

    /// May send submit_sm / data_sm / query_sm / cancel_sm (C-BIND-4).
    public var canSubmit: Bool { self != .receiver }
    /// Receives MO and delivery receipts (C-BIND-5): never a transmitter.
    public var canReceive: Bool { self != .transmitter }

    public var description: String { rawValue }
}
