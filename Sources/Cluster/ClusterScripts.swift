// The Lua scripts the nodes run in Redis: each does one decision atomically (a bind slot, a
// lease, whether to ship), so two nodes can never both take the last of something. Each touches
// the keys of one account or one address only (one hash tag), and is sent by its SHA-1
// (EVALSHA) once Redis knows it. Any thread.
import Redis

enum ClusterScripts {
    /// A bind slot. KEYS: every node's session hash of the account (node 0 first).
    /// ARGV: this node's number, max sessions, 1 if the session receives, lease ms.
    /// Returns 1 (taken) or 0 (the account is at its max-sessions across all nodes).
    static let claimSession = RedisScript(source: """
        local total = 0
        for i = 1, #KEYS do
          local n = redis.call('HGET', KEYS[i], 'all')
          if n then total = total + tonumber(n) end
        end
        if total >= tonumber(ARGV[2]) then return 0 end
        local mine = KEYS[tonumber(ARGV[1]) + 1]
        redis.call('HINCRBY', mine, 'all', 1)
        if ARGV[3] == '1' then redis.call('HINCRBY', mine, 'rx', 1) end
        redis.call('PEXPIRE', mine, ARGV[4])
        return 1
        """)

    /// A node's session counts of one account, set whole (the heartbeat, and a release).
    /// KEYS: the node's session hash. ARGV: all, rx, lease ms. Zero sessions delete the key.
    static let setSessions = RedisScript(source: """
        if tonumber(ARGV[1]) <= 0 then return redis.call('DEL', KEYS[1]) end
        redis.call('HSET', KEYS[1], 'all', ARGV[1], 'rx', ARGV[2])
        return redis.call('PEXPIRE', KEYS[1], ARGV[3])
        """)

    /// One failed bind from an address. KEYS: failures, lock-out. ARGV: window ms, failures
    /// that lock, lock-out ms. Returns 1 when this failure started a lock-out.
    static let bindFailure = RedisScript(source: """
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        if n >= tonumber(ARGV[2]) then
          redis.call('DEL', KEYS[1])
          redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
          return 1
        end
        return 0
        """)

    /// Credits and rate tokens for one account, in one call. KEYS: credits, credits:cfg, rate.
    /// ARGV: configured credits (-1: unlimited), credits wanted, rate per second (0: none),
    /// tokens wanted. The pool starts (again) at the configured number when that number is
    /// new; the rate is a token bucket refilled by Redis's clock, with a second's burst.
    /// Returns {credits granted, credits left in the pool (-1: unlimited), tokens granted}.
    static let lease = RedisScript(source: """
        local granted, pool = 0, -1
        if tonumber(ARGV[1]) >= 0 then
          if redis.call('GET', KEYS[2]) ~= ARGV[1] then
            redis.call('SET', KEYS[1], ARGV[1])
            redis.call('SET', KEYS[2], ARGV[1])
          end
          pool = tonumber(redis.call('GET', KEYS[1])) or 0
          granted = math.max(0, math.min(tonumber(ARGV[2]), pool))
          if granted > 0 then pool = redis.call('DECRBY', KEYS[1], granted) end
        end
        local tokensOut = 0
        local rate = tonumber(ARGV[3])
        if rate > 0 then
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          local b = redis.call('HMGET', KEYS[3], 'tokens', 'at', 'rate')
          local tokens, at = tonumber(b[1]), tonumber(b[2])
          if tokens == nil or at == nil or tonumber(b[3]) ~= rate then tokens, at = rate, now end
          tokens = math.min(rate, tokens + math.max(0, now - at) * rate / 1000)
          tokensOut = math.max(0, math.min(tonumber(ARGV[4]), math.floor(tokens)))
          tokens = tokens - tokensOut
          redis.call('HSET', KEYS[3], 'tokens', tostring(tokens), 'at', now, 'rate', rate)
          redis.call('PEXPIRE', KEYS[3], 60000)
        end
        return {granted, pool, tokensOut}
        """)

    /// Credits a node gives back (shutdown). KEYS: credits, credits:cfg. ARGV: configured,
    /// credits. Only into the pool they came from (the configured number unchanged).
    static let returnCredits = RedisScript(source: """
        if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
        return redis.call('INCRBY', KEYS[1], ARGV[2])
        """)

    /// Whether another node has a receiver bound for the account, and the account's backlog.
    /// KEYS: every node's session hash (node 0 first), then the account's stream. ARGV: this
    /// node's number. Returns {how many other nodes have a receiver, entries in the stream}.
    static let remoteReceivers = RedisScript(source: """
        local me = tonumber(ARGV[1]) + 1
        local n = 0
        for i = 1, #KEYS - 1 do
          if i ~= me then
            local rx = redis.call('HGET', KEYS[i], 'rx')
            if rx and tonumber(rx) > 0 then n = n + 1 end
          end
        end
        local len = 0
        if redis.call('EXISTS', KEYS[#KEYS]) == 1 then len = redis.call('XLEN', KEYS[#KEYS]) end
        return {n, len}
        """)

    /// Done with an entry of an account's stream. KEYS: the stream. ARGV: the entry id.
    static let acknowledge = RedisScript(source: """
        redis.call('XACK', KEYS[1], 'nodes', ARGV[1])
        return redis.call('XDEL', KEYS[1], ARGV[1])
        """)
}
