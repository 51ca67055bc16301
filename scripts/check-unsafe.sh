#!/usr/bin/env bash
# Unsafe code is fenced in the files ARCHITECTURE.md lists (STYLE 9.3). Fails when:
#  - an unsafe spelling appears in a Swift file (Sources/, perf/) outside that list;
#  - the list names a folder or a file that does not exist (it lists files, so a new file in a
#    listed folder does not inherit the permission without review);
#  - a listed file does not say, in its first 15 lines, what makes its unsafe code sound (a
#    line with "Unsafe code" or "Invariant").
#
# The spellings: pointer types (Unsafe*Pointer, which covers every *BufferPointer, so code
# that names, rebases or stores a withUnsafeBytes buffer is caught), Unmanaged, unsafeBitCast,
# @unchecked Sendable, withUnsafeTemporaryAllocation (a pointer that dies with the call),
# `.baseAddress!` (pointer arithmetic outside the buffer's bounds checks), unsafeAddress
# (addressors), and load/storeBytes at a byte offset (unchecked in release builds).
# A bare withUnsafeBytes / withUnsafeMutableBytes that hands the buffer straight to a function
# or to a C call with its own count is not caught: the buffer's bounds travel with it, and the
# function that takes the buffer type is caught by name.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='Unsafe[A-Za-z]*Pointer|Unmanaged|unsafeBitCast|@unchecked Sendable|withUnsafeTemporaryAllocation|\.baseAddress!|unsafeAddress|fromByteOffset|toByteOffset'
allowed=$(sed -n '/unsafe-allowlist:begin/,/unsafe-allowlist:end/p' ARCHITECTURE.md | sed -n 's/^- \([^ ]*\) .*/\1/p')
status=0
for a in $allowed; do
  if [ "${a%/}" != "$a" ] || [ -d "$a" ]; then
    echo "the unsafe allow-list names a folder, not files: $a"
    status=1
  elif [ ! -f "$a" ]; then
    echo "the unsafe allow-list names a file that does not exist: $a"
    status=1
  elif ! head -n 15 "$a" | grep -qiE '^[[:space:]]*//.*(unsafe code|invariant)'; then
    echo "allow-listed file does not open with its invariants (\"Unsafe code\"/\"Invariant\" in its first 15 lines): $a"
    status=1
  fi
done
while IFS= read -r file; do
  if ! printf '%s\n' $allowed | grep -qxF "$file"; then
    echo "unsafe code outside the allow-list (ARCHITECTURE.md): $file"
    grep -nE "$pattern" "$file" | head -5
    status=1
  fi
done < <(grep -rlE "$pattern" --include='*.swift' Sources perf 2>/dev/null | sort)
[ $status -eq 0 ] && echo "unsafe allow-list: ok"
exit $status
