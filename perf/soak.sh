#!/usr/bin/env bash
# Builds smppd and smppbench, then runs perf/soak.py (see its docstring): durable smppd under a
# steady load with receipts, sampled every few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product smppd >/dev/null
swift build -c release --product smppbench >/dev/null
exec python3 perf/soak.py "$@"
