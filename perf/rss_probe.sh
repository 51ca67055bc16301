#!/bin/bash
# perf/rss_probe.sh MODE SECONDS: VmRSS of smppd (memory or durable) every 15 s under the soak's load
# (50k submits/s with receipts, 1M records), for a quick look at whether memory stays flat.
# BIN=DIR picks the binaries (default .build/release).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=$1; SECS=$2
W=$(mktemp -d); cp perf/smppd-bench.toml $W/c.toml; sed -i 's/max-records = 4000000/max-records = 1000000/' $W/c.toml
FLAG=""; [ "$MODE" = memory ] && FLAG="--memory"
${BIN:-.build/release}/smppd --config $W/c.toml $FLAG --data-dir $W/var --listen 127.0.0.1:0 --admin 127.0.0.1:0 2> $W/log &
PID=$!
for _ in $(seq 1 100); do grep -q 'proto=tls' $W/log && break; sleep 0.1; done   # readiness, bounded
PORT=$(grep -o 'addr=127.0.0.1:[0-9]* proto=tls' $W/log | sed 's/addr=127.0.0.1://; s/ proto=tls//')
${BIN:-.build/release}/smppbench --port $PORT --system-id bench --password bench --insecure --connections 4 --window 256 --batch 16 --receipts --rate 50000 --duration $SECS > /dev/null 2>&1 &
B=$!
for i in $(seq 1 $((SECS/15))); do sleep 15; echo "$MODE t=$((i*15)) rss_kib=$(grep VmRSS /proc/$PID/status | awk '{print $2}')"; done
wait $B; kill $PID; wait $PID 2>/dev/null; rm -rf $W
