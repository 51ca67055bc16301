// RedisEndpoint: where a RedisClient finds its server. A value; read at init. A sentinel's
// address is the Reactor's Endpoint (host and port), resolved once when a client is made.

import Reactor

public enum RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// One server, always the same (it may be restarted; the client reconnects to it).
    case address(host: String, port: Int)
    /// Redis Sentinel: before each connect the client asks the sentinels in turn
    /// (`SENTINEL get-master-addr-by-name master`) where the primary is, connects there and
    /// checks with ROLE that it is the primary. It asks again when the connection is lost or a
    /// command gets a READONLY error (the server was demoted).
    case sentinel(sentinels: [Endpoint], master: String)

    /// "127.0.0.1:6379", or "sentinel mymaster via 10.0.0.1:26379,10.0.0.2:26379".
    public var description: String {
        switch self {
        case .address(let host, let port): Endpoint(host: host, port: UInt16(clamping: port)).description
        case .sentinel(let sentinels, let master):
            "sentinel \(master) via \(sentinels.map(\.description).joined(separator: ","))"
        }
    }
}
