// The Lua scripts of log shipping and takeover (issue 15, LogShipper.swift, LogTakeover
// commands). Each touches the keys of one node only (one hash tag `{n:N}`), so that a
// decision about a node's log is atomic: a batch is added only right after the batch before
// it, and only one node takes a dead node's log over. Batch numbers are below 2^53, so Lua's
// numbers hold them exactly. Any thread.
import Redis

enum LogScripts {
    /// One batch into a node's log. KEYS: log, logbase. ARGV: batch number, framed bytes,
    /// 1 when the batch may start the stream afresh (batch 1, or a compaction pass after the
    /// shipper fell behind: entries at or past it are stale and go, with the base).
    /// Returns 1 (added), 0 (there already: sent again after a reconnect), -1 (the stream
    /// does not end at the batch before: a hole would follow).
    static let ship = RedisScript(source: """
        local seq = tonumber(ARGV[1])
        local top = 0
        local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
        if #last > 0 then top = tonumber(string.match(last[1][1], '^(%d+)')) end
        if ARGV[3] == '1' then
          if top >= seq then redis.call('DEL', KEYS[1], KEYS[2]) end
        elseif top >= seq then
          return 0
        elseif top ~= seq - 1 then
          return -1
        end
        redis.call('XADD', KEYS[1], ARGV[1] .. '-0', 'd', ARGV[2])
        return 1
        """)

    /// A compaction pass is in the stream whole: entries before its first batch go, and the
    /// base moves to it. KEYS: log, logbase. ARGV: the pass's first batch. Returns 1, or 0
    /// when the stream does not start there afterwards (it was deleted meanwhile).
    static let trim = RedisScript(source: """
        redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1] .. '-0')
        local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
        if #first == 0 or tonumber(string.match(first[1][1], '^(%d+)')) ~= tonumber(ARGV[1]) then return 0 end
        redis.call('SET', KEYS[2], ARGV[1])
        return 1
        """)

    /// Where a node's log ends and where it is a copy from. KEYS: log, logbase.
    /// Returns {last batch (0: empty), base (-1: none)}.
    static let state = RedisScript(source: """
        local top = 0
        local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
        if #last > 0 then top = tonumber(string.match(last[1][1], '^(%d+)')) end
        local base = tonumber(redis.call('GET', KEYS[2]) or '-1')
        return {top, base}
        """)

    /// A node arriving: present from now on, and was its work taken over? KEYS: alive,
    /// takeover lock, taken-over marker. ARGV: now, lease ms. Returns 1 while another node
    /// holds the lock (ask again), the marker's value, or 0.
    static let arrive = RedisScript(source: """
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
        local m = redis.call('GET', KEYS[3])
        if m then return m end
        return 0
        """)

    /// Claims a node's log for takeover if the node is gone and its log holds a copy.
    /// KEYS: alive, log, logbase, takeover lock. ARGV: this node's number, lock ms.
    /// Returns 1 (claimed), 0 (nothing to do, or another node has it), -1 (gone, with a log
    /// but no base: not a complete copy).
    static let claim = RedisScript(source: """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        if redis.call('XLEN', KEYS[2]) == 0 then return 0 end
        if not redis.call('GET', KEYS[3]) then return -1 end
        if redis.call('SET', KEYS[4], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
        return 0
        """)

    /// Keeps a claim. KEYS: takeover lock. ARGV: this node's number, lock ms. Returns 1, or 0
    /// when the lock is not ours any more.
    static let renew = RedisScript(source: """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return 1
        """)

    /// The first chunk of a node's log, from its base. KEYS: logbase, log. ARGV: count.
    /// Returns {base, entries} ({-1, {}} without a base).
    static let readFirst = RedisScript(source: """
        local b = redis.call('GET', KEYS[1])
        if not b then return {-1, {}} end
        return {tonumber(b), redis.call('XRANGE', KEYS[2], b .. '-0', '+', 'COUNT', ARGV[1])}
        """)

    /// The takeover is durable on the taking node: the marker is set, the log goes.
    /// KEYS: takeover lock, log, logbase, taken-over marker. ARGV: this node's number, the
    /// last batch adopted. Returns 1, or 0 when the lock is not ours any more.
    static let finish = RedisScript(source: """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[4], ARGV[2] .. ' ' .. ARGV[1])
        redis.call('DEL', KEYS[2], KEYS[3], KEYS[1])
        return 1
        """)
}
