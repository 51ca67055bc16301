#!/usr/bin/env bash
# Builds smppd, smppbench, the ceiling server and the HTTP sink, then runs perf/bench.py (see its docstring).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product smppd >/dev/null
swift build -c release --product smppbench >/dev/null
perf/ceiling/build.sh >/dev/null
perf/httpsink/build.sh >/dev/null
exec python3 perf/bench.py "$@"
