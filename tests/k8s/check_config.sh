#!/usr/bin/env bash
# The rendered ConfigMap's config.json is a config the gateway accepts:
# `execgw --config=FILE --check-config` exits 0. Skipped (77) while the
# gateway has no --check-config flag.
# usage: check_config.sh CONFIG.json EXECGW_BINARY
set -euo pipefail
config="$1" execgw="$2"
set +e
output="$("$execgw" --config="$config" --check-config 2>&1)"
rc=$?
set -e
echo "$output"
if grep -Eq "Unknown command line flag '(check_config|check-config)'" <<<"$output"; then
  echo "execgw has no --check-config yet: skipped"
  exit 77
fi
if [ "$rc" -ne 0 ]; then echo "FAILED: execgw --check-config exited $rc"; exit 1; fi
echo "execgw accepts $config"
