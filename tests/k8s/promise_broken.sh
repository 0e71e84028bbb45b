#!/usr/bin/env bash
# expect.js must notice a broken promise: a rendering edited with sed fails it,
# naming the promise.
# usage: promise_broken.sh RENDERED.yaml service|sidecar SED_EXPRESSION WANT
set -euo pipefail
source "$(dirname "$0")/tools.sh"
need_tools
rendered="$1" mode="$2" edit="$3" want="$4"
broken="$(mktemp)"
trap 'rm -f "$broken"' EXIT
sed -e "$edit" "$rendered" >"$broken"
if cmp -s "$rendered" "$broken"; then echo "FAILED: '$edit' changed nothing"; exit 1; fi
set +e
output="$(node "$(dirname "$0")/expect.js" --mode="$mode" "$broken")"
rc=$?
set -e
echo "$output"
if [ "$rc" -ne 1 ]; then echo "FAILED: expect.js exited $rc, not 1"; exit 1; fi
if ! grep '^FAILED: ' <<<"$output" | grep -qF -- "$want"; then echo "FAILED: no '$want' in the output"; exit 1; fi
echo "broken promise found: $want"
