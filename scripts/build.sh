#!/usr/bin/env bash
# Configures and builds execgw into build/ (binaries in build/bin/): every
# target (the binaries, every test and benchmark), or only the targets
# named, with what they need (e.g. build.sh execgw execgw-cli).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cmake -S "$here" -B "$here/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if [ $# -gt 0 ]; then
  cmake --build "$here/build" -j"$(nproc)" --target "$@"
else
  cmake --build "$here/build" -j"$(nproc)"
fi
