#!/usr/bin/env bash
# check_runtime_packages.sh must reject a runtime stage that lacks a package
# a binary links directly: the Dockerfile without its libcurl4 line.
# usage: runtime_packages_rejected.sh Dockerfile BINARY
set -euo pipefail
dockerfile="$1" bin="$2"
broken="$(mktemp)"
trap 'rm -f "$broken"' EXIT
grep -v '^ *libcurl4 \\$' "$dockerfile" >"$broken"
if cmp -s "$dockerfile" "$broken"; then echo "FAILED: the Dockerfile has no libcurl4 line"; exit 1; fi
set +e
output="$(bash "$(dirname "$0")/check_runtime_packages.sh" "$broken" "$bin")"
rc=$?
set -e
echo "$output"
want="links libcurl.so.4 directly: name its package libcurl4"
if [ "$rc" -ne 1 ]; then echo "FAILED: the check exited $rc, not 1"; exit 1; fi
if ! grep -qF -- "$want" <<<"$output"; then echo "FAILED: no '$want' in the output"; exit 1; fi
echo "rejected as expected: $want"
