#!/usr/bin/env bash
# Builds perf/httpsink/httpsink (the instant HTTP SMS API of the forwarding benchmark).
set -euo pipefail
cd "$(dirname "$0")"
cc -O2 -Wall -o httpsink httpsink.c
echo "built perf/httpsink/httpsink"
