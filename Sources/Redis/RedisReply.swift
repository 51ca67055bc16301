// RedisReply and RedisFailure: what a RedisClient command completes with. Values only (no I/O),
// Sendable, so a cluster layer may hand them to other threads. A Redis error reply ("-ERR …",
// "-NOSCRIPT …") is a reply, `.success(.error(…))`; RedisFailure is for the transport.

/// One RESP2 reply, converted from hiredis's redisReply (HiredisConnection.swift).
public enum RedisReply: Sendable, Equatable {
    /// A simple string ("+OK", "+PONG").
    case status(String)
    /// An error reply, its text as sent ("ERR unknown command …", "NOSCRIPT No matching script…").
    case error(String)
    case integer(Int64)
    /// A bulk string, byte for byte (binary-safe).
    case bulk([UInt8])
    /// A nil bulk string or nil array (GET of a missing key, a Lua false, …).
    case null
    /// An array; elements may be arrays themselves (XRANGE, EVAL returning a table).
    case array([RedisReply])

    /// The text of a `.bulk` (as UTF-8) or `.status` reply; nil for any other kind.
    public var text: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let s): s
        default: nil
        }
    }
}

/// Why a command got no reply.
public enum RedisFailure: Error, Sendable, Equatable {
    /// The client was not connected when the command was sent (nothing is queued: the caller
    /// decides whether to retry).
    case notConnected
    /// This command, or one sent before it on the same connection, passed its deadline; every
    /// command pending on that connection fails with this and the client reconnects.
    case timeout
    /// The connection was lost (or `stop()` was called: "stopped") before the reply came; the
    /// command may or may not have run.
    case disconnected(String)
}

/// Where a RedisClient is. Changes are reported through `onStateChange`.
public enum RedisConnectionState: Sendable, Equatable {
    /// A connect attempt is in flight.
    case connecting
    /// Commands may be sent.
    case connected
    /// Not connected, and why: "not started", "stopped", "command timeout", "connect timeout",
    /// or hiredis's reason ("Connection refused", "Server closed the connection", …). While the
    /// client is started, a reconnect is scheduled.
    case disconnected(String)
}
