#!/usr/bin/env bash
# Sets up, builds and runs every test: the C++ format check, the proto lint,
# then every GoogleTest suite through CTest.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/setup.sh"
echo "== clang-format"
"$here/scripts/check-format.sh"
"$here/scripts/build.sh"
echo "== buf lint protos"
(cd "$here" && .tools/node_modules/.bin/buf lint protos 2> >(grep -v -e 'Category DEFAULT' -e '^$' -e '^\s' >&2))
echo "buf lint: ok"
echo "== ctest"
cd "$here/build"
ctest --output-on-failure -j"$(nproc)" --timeout 300
