#!/usr/bin/env bash
# End-to-end smppbench runs against a fresh release smppd (in-memory store) on 127.0.0.1.
# Usage: perf/e2e/run-smppbench.sh LABEL [smppbench options...]   (3 runs; JSON + server CPU%)
# Needs: swift build -c release --product smppd; swift build -c release --product smppbench.
set -euo pipefail
cd "$(dirname "$0")/../.."
label=$1; shift
out=/tmp/smppbench-runs; mkdir -p "$out"
for run in 1 2 3; do
  rm -rf /tmp/bench-var && mkdir -p /tmp/bench-var
  .build/release/smppd --listen 127.0.0.1:0 --admin 127.0.0.1:0 --plaintext-listen 127.0.0.1:0 \
      --data-dir /tmp/bench-var --memory --account bench:bench 2> "$out/$label.$run.smppd.err" > /dev/null &
  spid=$!
  for _ in $(seq 100); do grep -q 'proto=tls' "$out/$label.$run.smppd.err" 2>/dev/null && break; sleep 0.1; done
  tls=$(sed -n 's/.*event=listening addr=127.0.0.1:\([0-9]*\) proto=tls.*/\1/p' "$out/$label.$run.smppd.err")
  plain=$(sed -n 's/.*event=listening addr=127.0.0.1:\([0-9]*\) proto=plaintext.*/\1/p' "$out/$label.$run.smppd.err")
  port=$tls; case " $* " in *" --plaintext "*) port=$plain ;; esac
  ticks0=$(awk '{print $14+$15}' /proc/$spid/stat); t0=$(date +%s.%N)
  /usr/bin/time -f "client_cpu_s=%U+%S wall_s=%e" .build/release/smppbench --port "$port" --system-id bench --password bench \
      --json "$out/$label.$run.json" "$@" > "$out/$label.$run.txt" 2> "$out/$label.$run.err" || true
  ticks1=$(awk '{print $14+$15}' /proc/$spid/stat); t1=$(date +%s.%N)
  hz=$(getconf CLK_TCK)
  cpu=$(awk -v a="$ticks0" -v b="$ticks1" -v s="$t0" -v e="$t1" -v hz="$hz" 'BEGIN{printf "%.0f", 100*(b-a)/hz/(e-s)}')
  kill "$spid"; wait "$spid" 2>/dev/null || true
  echo "$label run $run: $(cat "$out/$label.$run.json" | tr -d '\n') server_cpu_pct=$cpu $(tail -1 "$out/$label.$run.err")"
done
