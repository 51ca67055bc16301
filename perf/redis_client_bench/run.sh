#!/usr/bin/env bash
# Starts a throwaway redis-server on a free port (never the system's 6379), runs redis-bench
# (release) against it with its pid, and kills it. Extra arguments go to redis-bench.
#   perf/redis_client_bench/run.sh [--count N] [--window W]
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product redis-bench 2>&1 | grep -vE 'warning: Cannot export local symbol' | tail -n 1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning >/dev/null &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
  sleep 0.05   # polling for readiness, bounded (10 s)
done
redis-cli -p "$port" ping | grep -q PONG || { echo "redis-server did not start"; exit 1; }
.build/release/redis-bench --port "$port" --server-pid "$pid" "$@"
