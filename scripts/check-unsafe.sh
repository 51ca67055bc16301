#!/usr/bin/env bash
# Fails when Unsafe*Pointer, Unmanaged, unsafeBitCast or @unchecked Sendable appear in a Swift
# file outside ARCHITECTURE.md's allow-list (STYLE 9.3: unsafe code is fenced in small types).
set -euo pipefail
cd "$(dirname "$0")/.."
allowed=$(sed -n '/unsafe-allowlist:begin/,/unsafe-allowlist:end/p' ARCHITECTURE.md | sed -n 's/^- \([^ ]*\) .*/\1/p')
status=0
while IFS= read -r file; do
  ok=0
  for a in $allowed; do
    case "$file" in "$a"|"$a"*) [ "${a%/}" != "$a" ] || [ "$file" = "$a" ] && ok=1 ;; esac
  done
  if [ $ok -eq 0 ]; then
    echo "unsafe code outside the allow-list (ARCHITECTURE.md): $file"
    grep -nE 'Unsafe[A-Za-z]*Pointer|Unmanaged|unsafeBitCast|@unchecked Sendable' "$file" | head -5
    status=1
  fi
done < <(grep -rlE 'Unsafe[A-Za-z]*Pointer|Unmanaged|unsafeBitCast|@unchecked Sendable' --include='*.swift' Sources perf 2>/dev/null | sort)
[ $status -eq 0 ] && echo "unsafe allow-list: ok"
exit $status
