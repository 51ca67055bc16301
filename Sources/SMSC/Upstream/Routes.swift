// Routes: which carrier takes an accepted message (issue 12). Each `[[route]]` names the
// accounts it applies to (none: every account), the destination prefixes it matches (none:
// every destination) and an ordered list of carriers, the first the primary and the rest its
// failover. The longest matching prefix wins; at equal length a route naming the account
// wins over one for every account, then the earlier route. Without a matching route a
// message goes to the simulator, so a config with no routes behaves as before.
// Pure values; the table is built once at start (and at SIGHUP) and read on the loop thread.
import Upstream

/// A `[[carrier]]` section: a name routes refer to, and what it is.
public struct CarrierDefinition: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case simulator
        case smpp(SMPPUpstreamSettings)
        case http(HTTPUpstreamSettings)
    }
    public var name: String
    public var kind: Kind
    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
    /// The simulator is always there under this name, configured by `[carrier]`.
    public static let simulatorName = "simulator"
}

/// A `[[route]]` section.
public struct RouteDefinition: Sendable, Equatable {
    /// system_ids it applies to; empty: every account.
    public var accounts: [String]
    /// Destination prefixes (E.164 digits, no '+'); empty: every destination.
    public var prefixes: [String]
    /// Carrier names, the primary first, then the failover order.
    public var carriers: [String]
    public init(accounts: [String] = [], prefixes: [String] = [], carriers: [String]) {
        self.accounts = accounts
        self.prefixes = prefixes
        self.carriers = carriers
    }
}

/// The carriers a message may go to, best first, as indexes into the forwarding's carrier
/// list; index `RouteTable.simulator` is the simulator.
public struct ResolvedRoute: Equatable, Sendable {
    public var carriers: [Int]
    /// Whether the first choice is the simulator (the submit path's one question).
    public var startsWithSimulator: Bool { carriers.first == RouteTable.simulator }
}

public struct RouteTable: Sendable {
    public static let simulator = -1

    private struct Entry: Sendable {
        var accounts: Set<String>
        var prefix: [UInt8]
        var route: ResolvedRoute
        var order: Int
    }
    /// Longest prefix first, then account-specific, then config order: the first match wins.
    private let entries: [Entry]
    public let isEmpty: Bool

    /// `carrierNames[i]` is carrier index i. Throws a message naming the bad key.
    public init(routes: [RouteDefinition], carrierNames: [String]) throws(RouteError) {
        var index: [String: Int] = [CarrierDefinition.simulatorName: Self.simulator]
        for (i, n) in carrierNames.enumerated() { index[n] = i }
        var out: [Entry] = []
        for (r, route) in routes.enumerated() {
            guard !route.carriers.isEmpty else { throw RouteError(key: "route[\(r)].carriers", problem: "must name at least one carrier") }
            var resolved: [Int] = []
            for name in route.carriers {
                guard let i = index[name] else {
                    throw RouteError(key: "route[\(r)].carriers", problem: "no [[carrier]] named \"\(name)\" (known: \(index.keys.sorted().joined(separator: ", ")))")
                }
                guard !resolved.contains(i) else { throw RouteError(key: "route[\(r)].carriers", problem: "\"\(name)\" is listed twice") }
                resolved.append(i)
            }
            for p in route.prefixes {
                let digits = p.hasPrefix("+") ? String(p.dropFirst()) : p
                guard !digits.isEmpty, digits.count <= 15, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    throw RouteError(key: "route[\(r)].prefixes", problem: "\"\(p)\" is not a destination prefix (1–15 digits, optional '+')")
                }
            }
            let prefixes = route.prefixes.isEmpty ? [""] : route.prefixes
            for p in prefixes {
                let digits = Array((p.hasPrefix("+") ? String(p.dropFirst()) : p).utf8)
                out.append(Entry(accounts: Set(route.accounts), prefix: digits, route: ResolvedRoute(carriers: resolved), order: r))
            }
        }
        out.sort { a, b in
            if a.prefix.count != b.prefix.count { return a.prefix.count > b.prefix.count }
            if a.accounts.isEmpty != b.accounts.isEmpty { return !a.accounts.isEmpty }
            return a.order < b.order
        }
        entries = out
        isEmpty = out.isEmpty
    }

    public init() {
        entries = []
        isEmpty = true
    }

    /// The routes that apply to `systemID`, in match order: the submit path keeps one per
    /// account and matches only prefixes per message.
    public func forAccount(_ systemID: String) -> AccountRoutes {
        AccountRoutes(entries: entries.filter { $0.accounts.isEmpty || $0.accounts.contains(systemID) }.map { ($0.prefix, $0.route) })
    }

    /// The route for a message from `systemID` to `destination` (E.164 digits, no '+').
    public func resolve(systemID: String, destination: some Collection<UInt8>) -> ResolvedRoute {
        forAccount(systemID).resolve(destination: destination)
    }
}

/// One account's routes, in match order.
public struct AccountRoutes: Sendable {
    fileprivate let entries: [(prefix: [UInt8], route: ResolvedRoute)]
    /// True when every message of the account goes to the simulator (no route applies).
    public var allToSimulator: Bool { entries.allSatisfy { $0.route.startsWithSimulator } }

    public func resolve(destination: some Collection<UInt8>) -> ResolvedRoute {
        for e in entries where e.prefix.isEmpty || destination.starts(with: e.prefix) { return e.route }
        return ResolvedRoute(carriers: [RouteTable.simulator])
    }
}

public struct RouteError: Error, CustomStringConvertible, Sendable {
    public var key: String
    public var problem: String
    public var description: String { "config: \(key): \(problem)" }
    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }
}
