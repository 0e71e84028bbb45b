#!/usr/bin/env bash
# Sets up, builds and starts the gateway on its embedded demo upstreams.
# Extra arguments go to execgw (e.g. --listen=127.0.0.1:6000).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/setup.sh"
"$here/scripts/build.sh"
exec "$here/build/bin/execgw" --demo "$@"
