#!/usr/bin/env bash
# Profiles a release smppd (memory mode) while smppbench loads it over TLS on 127.0.0.1.
#
#   perf/profile.sh perf     [smppbench options...]  # perf record -g on smppd; top symbols, demangled
#   perf/profile.sh callgrind [smppbench options...] # smppd under callgrind; instruction counts
#
# Default load: --connections 4 --window 256 --batch 16 --count 300000 (perf) or 30000
# (callgrind, which runs smppd ~50x slower). Output goes to /tmp/smppd-profile/: perf.data or
# callgrind.out, and report.txt (the top of the report, which is also printed).
# Needs linux-perf (perf) or valgrind; builds smppd and smppbench first.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-perf}; shift || true
case "$mode" in perf|callgrind) ;; *) echo "usage: $0 perf|callgrind [smppbench options]" >&2; exit 2 ;; esac
if [ $# -eq 0 ]; then
  if [ "$mode" = perf ]; then set -- --connections 4 --window 256 --batch 16 --count 300000
  else set -- --connections 4 --window 256 --batch 16 --count 30000; fi
fi
swift build -c release --product smppd >/dev/null
swift build -c release --product smppbench >/dev/null

out=/tmp/smppd-profile; rm -rf "$out"; mkdir -p "$out/var"
cp perf/smppd-bench.toml "$out/smppd.toml"
smppd_cmd=(.build/release/smppd --config "$out/smppd.toml" --memory --data-dir "$out/var"
           --listen 127.0.0.1:0 --admin 127.0.0.1:0)
if [ "$mode" = perf ]; then
  "${smppd_cmd[@]}" 2> "$out/smppd.err" > /dev/null &
else
  # valgrind 3.19 cannot read the DWARF 5 that swiftc emits ("possibly corrupted debuginfo"):
  # profile a copy without debug sections; the symbol table is enough for function names.
  objcopy --strip-debug .build/release/smppd "$out/smppd-nodebug"
  smppd_cmd[0]="$out/smppd-nodebug"
  valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" --dump-instr=no \
      --collect-atstart=yes "${smppd_cmd[@]}" 2> "$out/smppd.err" > /dev/null &
fi
spid=$!
trap 'kill $spid 2>/dev/null || true' EXIT
# Readiness: the listening line (callgrind start-up takes several seconds).
for _ in $(seq 600); do grep -q 'proto=tls' "$out/smppd.err" 2>/dev/null && break; kill -0 $spid || exit 1; sleep 0.1; done
port=$(sed -n 's/.*event=listening addr=127.0.0.1:\([0-9]*\) proto=tls.*/\1/p' "$out/smppd.err")
[ -n "$port" ] || { echo "smppd did not start" >&2; cat "$out/smppd.err" >&2; exit 1; }

if [ "$mode" = perf ]; then
  perf record -g -F 2000 -p $spid -o "$out/perf.data" 2> "$out/perf-record.err" &
  ppid=$!
  sleep 0.5   # perf attaches asynchronously; nothing to poll for
fi
timeout 600 .build/release/smppbench --port "$port" --system-id bench --password bench --insecure \
    --json "$out/bench.json" "$@" > "$out/bench.txt" 2> "$out/bench.err" || true
cat "$out/bench.txt"
if [ "$mode" = perf ]; then
  kill -INT $ppid; wait $ppid || true
  kill $spid; wait $spid 2>/dev/null || true
  perf report -i "$out/perf.data" --no-children --sort symbol --stdio 2>/dev/null \
      | grep -v '^$' | swift demangle --simplified | grep -E '^ +[0-9]' | head -40 > "$out/report.txt"
else
  kill $spid; wait $spid 2>/dev/null || true
  callgrind_annotate --inclusive=no "$out/callgrind.out" 2>/dev/null | swift demangle --simplified \
      | sed -n '1,60p' > "$out/report.txt"
fi
cat "$out/report.txt"
