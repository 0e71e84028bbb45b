#!/usr/bin/env bash
# A deliberately broken manifest must be rejected: validate.js exits 1 and
# prints the problem named on the file's "# expect:" line.
# usage: expect_rejected.sh BROKEN.yaml
set -euo pipefail
source "$(dirname "$0")/tools.sh"
need_tools
file="$1"
want="$(sed -n 's/^# expect: //p' "$file")"
[ -n "$want" ] || { echo "$file has no '# expect:' line"; exit 1; }
set +e
output="$(node "$(dirname "$0")/validate.js" "$file")"
rc=$?
set -e
echo "$output"
if [ "$rc" -ne 1 ]; then echo "FAILED: validate.js exited $rc, not 1"; exit 1; fi
if ! grep -qF -- "$want" <<<"$output"; then echo "FAILED: no '$want' in the output"; exit 1; fi
echo "rejected as expected: $want"
