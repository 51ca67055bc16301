#!/usr/bin/env bash
# Builds smppd, smppbench, the ceiling server and the HTTP sink, then runs perf/bench.py (see its docstring).
# Usage: perf/bench.sh [--runs 3] [--scale 1.0] [--only NAME[,NAME]] [--json FILE]
# The cluster scenarios (issue 15; perf/bench_cluster.py, docs/cluster-model.md) need redis-server and
# haproxy on PATH; run them in the same invocation as the single node they are compared with:
#   perf/bench.sh --only batch16_w256_c4_receipts,cluster2_batch16_receipts_local,cluster2_batch16_receipts_local_leases,\
#   cluster2_batch16_receipts_crossing_paced,cluster2_batch16_receipts_crossing,cluster2_haproxy_batch16_receipts
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product smppd >/dev/null
swift build -c release --product smppbench >/dev/null
perf/ceiling/build.sh >/dev/null
perf/httpsink/build.sh >/dev/null
exec python3 perf/bench.py "$@"
