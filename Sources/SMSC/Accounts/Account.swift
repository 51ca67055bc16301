// An SMPP account: who may bind, how, from where, and with which numbers (C-BIND-*, C-SUB-2).
// Immutable values built by the daemon from flags and config; replaced whole on SIGHUP.

/// One ESME account as configured.
public struct Account: Sendable, Equatable {
    public var systemID: String
    public var password: PasswordHash
    /// E.164 numbers the account may send from (compared without the leading `+`).
    public var numbers: [String]
    /// Used when submit_sm leaves source_addr empty.
    public var defaultNumber: String?
    /// Concurrent bound sessions allowed (C-BIND-6). Clients like Kannel open three.
    public var maxSessions: Int
    public var bindModes: Set<BindMode>
    /// Peer IPv4/IPv6 addresses allowed to bind; empty means any.
    public var allowedIPs: [String]
    /// Credits left at start; nil = unlimited. Each segment costs one (C-SUB-6).
    public var credits: Int?
    /// Submits per second; 0 = unlimited (ESME_RTHROTTLED over it).
    public var submitRate: Int
    /// Background MO per second to this account's receivers (C-SIM-3).
    public var moRate: Double

    public init(systemID: String, password: PasswordHash, numbers: [String] = [], defaultNumber: String? = nil,
                maxSessions: Int = 8, bindModes: Set<BindMode> = Set(BindMode.allCases), allowedIPs: [String] = [],
                credits: Int? = nil, submitRate: Int = 0, moRate: Double = 0) {
        self.credits = credits
        self.submitRate = submitRate
        self.moRate = moRate
        self.systemID = systemID
        self.password = password
        self.numbers = numbers
        self.defaultNumber = defaultNumber ?? numbers.first
        if let d = self.defaultNumber, !self.numbers.contains(d) { self.numbers.insert(d, at: 0) }
        self.maxSessions = maxSessions
        self.bindModes = bindModes
        self.allowedIPs = allowedIPs
    }

    /// Whether a peer address (without port) may bind to this account.
    public func allows(ip: String) -> Bool {
        allowedIPs.isEmpty || allowedIPs.contains(ip)
    }
}

/// The account list, looked up by system_id on every bind. Owned by the loop thread.
public struct AccountDirectory: Sendable {
    private var bySystemID: [String: Account]

    public init(_ accounts: [Account]) {
        bySystemID = [:]
        for a in accounts { bySystemID[a.systemID] = a }
    }

    public subscript(systemID: String) -> Account? { bySystemID[systemID] }
    public var all: [Account] { bySystemID.values.sorted { $0.systemID < $1.systemID } }
    public var count: Int { bySystemID.count }
}
