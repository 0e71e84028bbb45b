#!/usr/bin/env bash
# Fails, listing them, when tracked C++ files differ from what clang-format
# (Debian's, style from .clang-format) makes of them. --fix rewrites them.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.h' '*.cc')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i --style=file "${files[@]}"
  exit 0
fi
# One clang-format run for all files; each misformatted spot is reported as
# "path:line:col: warning: code should be clang-formatted [-Wclang-format-violations]".
mapfile -t bad < <(clang-format --style=file --dry-run "${files[@]}" 2>&1 |
  sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: .*clang-format-violations.*/\1/p' | sort -u)
if [ ${#bad[@]} -gt 0 ]; then
  echo "clang-format: ${#bad[@]} file(s) not formatted (scripts/check-format.sh --fix rewrites them):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "clang-format: ok (${#files[@]} files)"
