#!/usr/bin/env bash
# Sets up, builds and runs every test: the C++ format check, the proto lint,
# each fuzz target for a short time (EXECGW_FUZZ_SECONDS, 15 s each), then
# every GoogleTest suite through CTest, then the secret sweep over
# everything the tests wrote, then a short fault soak, then the whole suite
# again under AddressSanitizer + UBSan and the concurrency tests under
# ThreadSanitizer (scripts/sanitize.sh; EXECGW_SANITIZERS=0 leaves them out).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/scripts/setup.sh"
echo "== clang-format"
"$here/scripts/check-format.sh"
"$here/scripts/build.sh"
echo "== buf lint protos"
# protos/ imports google/rpc/*.proto from Debian's googleapis package: lint
# in a buf workspace (in the build tree) that has both.
ws="$here/build/buf-workspace"
rm -rf "$ws" && mkdir -p "$ws/deps/google"
ln -s "$here/protos" "$ws/protos"
ln -s /usr/share/gocode/src/github.com/gogo/googleapis/google/rpc "$ws/deps/google/rpc"
printf 'version: v1\n' > "$ws/deps/buf.yaml"
printf 'version: v1\ndirectories:\n  - protos\n  - deps\n' > "$ws/buf.work.yaml"
(cd "$ws" && "$here/.tools/node_modules/.bin/buf" lint protos 2> >(grep -v -e 'Category DEFAULT' -e '^$' -e '^\s' >&2))
echo "buf lint: ok"
echo "== fuzz (each libFuzzer target for a short time; scripts/fuzz.sh)"
"$here/scripts/fuzz.sh" "${EXECGW_FUZZ_SECONDS:-15}"
echo "== ctest"
cd "$here/build"
ctest --output-on-failure -j"$(nproc)" --timeout 300
echo "== secret sweep"
# Everything the suite's processes wrote (the gateways' logs among it)
# holds no form of any of the suite's secrets (tests/testing/suite_secrets.h).
"$here/build/tests/testing/secret_sweep" "$here/build/Testing/Temporary/LastTest.log"
echo "== soak"
# Two minutes of mixed load under 20% random upstream faults, then the
# invariants (tests/soak/soak.cc; the hour-long run is in BENCHMARKS.md).
# Alone, after CTest: its deadline figures want a machine not running tests.
"$here/build/tests/soak/soak" --minutes=2 --fault_rate=0.2 --warmup_fraction=0.5
if [ "${EXECGW_SANITIZERS:-1}" != 0 ]; then
  echo "== sanitizers (scripts/sanitize.sh)"
  "$here/scripts/sanitize.sh" asan
  "$here/scripts/sanitize.sh" tsan
fi
