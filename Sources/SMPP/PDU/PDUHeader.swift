// PDUHeader: the 16-octet header every SMPP PDU starts with (v3.4 §3.2). A value type; any thread.

/// command_length, command_id, command_status, sequence_number, in that order, big-endian.
public struct PDUHeader: Hashable, Sendable {
    /// Octets in the whole PDU, header included.
    public var commandLength: UInt32
    public var commandID: CommandID
    public var commandStatus: CommandStatus
    public var sequenceNumber: UInt32

    /// The header's size in octets, which is also the smallest valid command_length.
    public static let size = 16

    @inlinable
    public init(commandLength: UInt32, commandID: CommandID, commandStatus: CommandStatus, sequenceNumber: UInt32) {
        self.commandLength = commandLength
        self.commandID = commandID
        self.commandStatus = commandStatus
        self.sequenceNumber = sequenceNumber
    }
}
