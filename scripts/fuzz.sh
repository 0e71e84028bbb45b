#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with Debian's clang into
# build-fuzz/ (EXECGW_FUZZ=ON: libFuzzer, AddressSanitizer, UBSan) and runs
# each for SECONDS (default 60) on its corpus: build-fuzz/corpus/<target>
# (kept between runs, so it grows) plus the seeds gathered in
# build-fuzz/seeds/<target> from tests/fuzz/seeds, tests/fuzz/regressions,
# tests/fixtures, the k8s configs and, when ../shared/upstream and the
# ordinary build's spec tests are there, the OpenAPI specs' documents.
# A crash, a broken invariant, a leak or a hang (one input over 10 s) fails
# the run and leaves the input in build-fuzz/artifacts/: fix the code, then
# keep the input in tests/fuzz/regressions/<target>/ (the ctest
# fuzz_replay.<target> replays it in the ordinary build).
# Figures per target (executions, per second, cov, ft): build-fuzz/fuzz-stats.txt.
# Usage: scripts/fuzz.sh [SECONDS | --runs=N] [TARGET...]   (targets: names without _fuzz)
# --runs=N runs each target for N executions instead (the long run: 10000000).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
if [ $# -gt 0 ]; then shift; fi
limit=(-max_total_time="$seconds")
each="$seconds s"
case "$seconds" in
  --runs=*) limit=(-runs="${seconds#--runs=}"); each="${seconds#--runs=} executions" ;;
  *[!0-9]* | '') echo "usage: scripts/fuzz.sh [SECONDS | --runs=N] [TARGET...]" >&2; exit 2 ;;
esac
all=(blaxel_translator polos_translator event_stream page_token list_filter resource_name upstream_error config)
targets=("${@:-${all[@]}}")
build="$here/build-fuzz"

launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
echo "== fuzz: building ${targets[*]} (clang++, build-fuzz)"
start=$(date +%s)
cmake -S "$here" -B "$build" -DEXECGW_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/%/_fuzz}" >"$build/build.log" 2>&1 ||
  { tail -50 "$build/build.log"; exit 1; }
echo "fuzz: built in $(($(date +%s) - start)) s"

# Seeds, gathered anew each run.
seeds="$build/seeds"
rm -rf "$seeds"
for t in "${all[@]}"; do
  mkdir -p "$seeds/$t"
  for dir in "$here/tests/fuzz/seeds/$t" "$here/tests/fuzz/regressions/$t"; do
    if [ -d "$dir" ]; then cp "$dir"/* "$seeds/$t/" 2>/dev/null || true; fi
  done
done
cp "$here"/tests/fixtures/blaxel/*.json "$seeds/blaxel_translator/"
cp "$here"/tests/fixtures/polos/*.json "$seeds/polos_translator/"
cp "$here/k8s/base/config.json" "$seeds/config/k8s-base.json"
cp "$here/k8s/overlays/sidecar/config.json" "$seeds/config/k8s-sidecar.json"
# The documents the spec-driven translator tests build from the OpenAPI
# specs (tests/testing/fuzz_seed.h), when both are there.
upstream="$here/../shared/upstream"
blaxel_test="$here/build/tests/adapters/blaxel/blaxel_translator_test"
polos_test="$here/build/tests/adapters/polos/polos_translator_test"
if [ -d "$upstream" ] && [ -x "$blaxel_test" ] && [ -x "$polos_test" ]; then
  EXECGW_FUZZ_SEEDS="$seeds" EXECGW_SHARED_UPSTREAM="$upstream" \
    "$blaxel_test" --gtest_filter='TranslatorSpecTest.ExamplesLandWhereTheyShould' >/dev/null
  EXECGW_FUZZ_SEEDS="$seeds" EXECGW_SHARED_UPSTREAM="$upstream" \
    "$polos_test" --gtest_filter='PolosSpecTest.*Instances' >/dev/null
  echo "fuzz: seeds from the OpenAPI specs: $(ls "$seeds"/*/spec-* 2>/dev/null | wc -l)"
else
  echo "fuzz: no seeds from the OpenAPI specs (needs $upstream and the ordinary build's translator tests)"
fi

stats="$build/fuzz-stats.txt"
artifacts="$build/artifacts"
mkdir -p "$artifacts"
printf '%-18s %12s %10s %7s %7s %8s\n' target executions exec/s cov ft corpus | tee "$stats"
failed=()
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  log="$build/$t.log"
  mkdir -p "$corpus"
  if ! "$build/fuzz/${t}_fuzz" "${limit[@]}" -timeout=10 -max_len=8192 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" \
      "$corpus" "$seeds/$t" >"$log" 2>&1; then
    failed+=("$t")
    grep -a -m1 -A4 -E 'invariant broken|ERROR:|runtime error' "$log" || tail -20 "$log"
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  last=$(grep -a -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%-18s %12s %10s %7s %7s %8s\n' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
    "$(ls "$corpus" | wc -l)" | tee -a "$stats"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $artifacts; logs build-fuzz/<target>.log)"
  exit 1
fi
echo "fuzz: ok (${#targets[@]} targets, $each each, $(($(date +%s) - start)) s in all)"
