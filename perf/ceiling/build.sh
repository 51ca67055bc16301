#!/usr/bin/env bash
# Builds perf/ceiling/ceiling (the SMPP-over-TLS ceiling server) with the system's OpenSSL.
set -euo pipefail
cd "$(dirname "$0")"
cc -O2 -Wall -o ceiling ceiling.c -lssl -lcrypto
echo "built perf/ceiling/ceiling"
