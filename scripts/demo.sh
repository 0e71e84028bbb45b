#!/usr/bin/env bash
# Sets up, builds and starts the gateway on its embedded demo upstreams.
# Installs and builds only what the demo runs (the gateway and the CLI): not
# the proto lint's tools, nor the tests and benchmarks scripts/test.sh builds.
# Extra arguments go to execgw (e.g. --listen=127.0.0.1:6000).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/setup.sh" --no-lint
"$here/scripts/build.sh" execgw execgw-cli
exec "$here/build/bin/execgw" --demo "$@"
