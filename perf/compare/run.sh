#!/usr/bin/env bash
# smppd side by side with another SMPP server (PyPI smpp34's Server), same client (smppbench),
# same run; prints a Markdown table with the ratios. Installs nothing: it checks and says how.
# Usage: perf/compare/run.sh [--runs 3] [--scale 1.0] [--scenario NAME]... [--log FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
missing=0
if ! "$PY" -c 'import smpp34' 2>/dev/null; then
  echo "run.sh: the other server is missing: $PY cannot import smpp34." >&2
  echo "  install it with: $PY -m pip install -r perf/compare/requirements.txt" >&2
  missing=1
fi
for product in smppd smppbench; do
  if [ ! -x ".build/release/$product" ]; then
    echo "run.sh: .build/release/$product is missing; build it with: swift build -c release --product $product" >&2
    missing=1
  fi
done
[ "$missing" = 0 ] || exit 2
exec "$PY" perf/compare/compare.py "$@"
