#!/usr/bin/env bash
# Fuzz the SMPP decoder for SECONDS (default 60): build FuzzDecode with libFuzzer + ASan, copy
# the seed corpus into a scratch dir (perf/fuzz/corpus-work/, gitignored) and run. Exits
# non-zero when libFuzzer finds a crash (the crash-* artifact is left in perf/fuzz/).
#   perf/fuzz/run.sh 600
set -euo pipefail
seconds="${1:-60}"
cd "$(dirname "$0")/../.."

echo "== build FuzzDecode (libFuzzer + ASan)"
SMPPD_FUZZ=1 swift build --product FuzzDecode --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -vE "Cannot export local symbol|^\[[0-9]+/[0-9]+\]" || true
binary=.build-fuzz/debug/FuzzDecode
[ -x "$binary" ] || { echo "FuzzDecode did not build"; exit 1; }

work=perf/fuzz/corpus-work
mkdir -p "$work/corpus"
cp perf/fuzz/corpus/* "$work/corpus/"

echo "== fuzz for ${seconds}s"
# -max_len: the 70 KiB message_payload limit plus room for a second PDU in the stream.
# detect_leaks=0: one process runs millions of inputs; the codec allocates nothing to leak.
set +e
ASAN_OPTIONS=detect_leaks=0 "$binary" "$work/corpus" -max_total_time="$seconds" -max_len=73728 \
    -artifact_prefix=perf/fuzz/ -print_final_stats=1 >"$work/fuzz.log" 2>&1
status=$?
set -e
grep -vE "^#[0-9]+.*(NEW|REDUCE|pulse)" "$work/fuzz.log" | tail -n 40
echo "== fuzz exit status $status (full log: $work/fuzz.log)"
exit "$status"
