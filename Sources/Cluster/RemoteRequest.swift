// query_sm and cancel_sm for a message id another node issued (issue 15): the id's instance
// field names the node that owns the record, so the node a client asks sends the request to
// the owner's stream and answers the client when the owner replies. Values, any thread.

/// A question to the node that owns a message.
public struct RemoteRequest: Sendable, Equatable {
    public enum Kind: String, Sendable { case query = "q", cancel = "c" }
    public var kind: Kind
    /// The asking node, where the reply goes.
    public var from: Int
    /// The asker's number for the request, echoed in the reply.
    public var correlation: UInt64
    /// The account of the asking session: the owner answers only for the account's own messages.
    public var account: String
    /// The message id as the client sent it.
    public var messageID: String

    public init(kind: Kind, from: Int, correlation: UInt64, account: String, messageID: String) {
        self.kind = kind
        self.from = from
        self.correlation = correlation
        self.account = account
        self.messageID = messageID
    }

    var fields: [String] {
        ["k", kind.rawValue, "from", String(from), "corr", String(correlation), "acct", account, "id", messageID]
    }

    init?(fields f: [String: String]) {
        guard let k = f["k"].flatMap(Kind.init(rawValue:)), let from = f["from"].flatMap({ Int($0) }),
              let corr = f["corr"].flatMap({ UInt64($0) }), let account = f["acct"], let id = f["id"] else { return nil }
        self.init(kind: k, from: from, correlation: corr, account: account, messageID: id)
    }
}

/// The owner's answer.
public struct RemoteReply: Sendable, Equatable {
    public var correlation: UInt64
    /// The SMPP command_status of the answer (ESME_ROK, ESME_RQUERYFAIL, ESME_RCANCELFAIL …).
    public var status: UInt32
    /// query_sm: the message_state, error_code and final_date (empty while not final).
    public var state: UInt8
    public var errorCode: UInt8
    public var finalDate: String

    public init(correlation: UInt64, status: UInt32, state: UInt8 = 0, errorCode: UInt8 = 0, finalDate: String = "") {
        self.correlation = correlation
        self.status = status
        self.state = state
        self.errorCode = errorCode
        self.finalDate = finalDate
    }

    var fields: [String] {
        ["k", "r", "corr", String(correlation), "st", String(status), "state", String(state), "err", String(errorCode), "final", finalDate]
    }

    init?(fields f: [String: String]) {
        guard f["k"] == "r", let corr = f["corr"].flatMap({ UInt64($0) }), let st = f["st"].flatMap({ UInt32($0) }),
              let state = f["state"].flatMap({ UInt8($0) }), let err = f["err"].flatMap({ UInt8($0) }) else { return nil }
        self.init(correlation: corr, status: st, state: state, errorCode: err, finalDate: f["final"] ?? "")
    }
}
