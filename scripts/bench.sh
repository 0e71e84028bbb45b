#!/usr/bin/env bash
# Builds and runs every benchmark, then writes BENCHMARKS.md at the repo root
# (scripts/bench_report.py: figures as ratios to their baselines from the same
# run, the machine, the date and this command; hand-written sections kept).
#
#   scripts/bench.sh [--no-load] [--no-watch | --only-watch] [unary_load args...]
#
# Runs the Google Benchmark programs (translate_bench, codec_bench,
# gateway_bench: in-process, kept for its shared-read figures) and the unary
# load benchmark (build/tests/bench/unary_load; extra arguments go to it,
# e.g. --duration=1 for short windows). --no-load skips unary_load. Then the
# watch benchmark (build/tests/bench/watch_load, twice: Polos' event stream
# followed, then Polos polled), whose section scripts/watch_report.py writes;
# --no-watch skips it, --only-watch runs only it (the other sections stay as
# they were). Fails, naming it, when any benchmark fails; BENCHMARKS.md is
# then left as it was.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
command="scripts/bench.sh${*:+ $*}"
run_load=1
run_watch=1
only_watch=0
load_args=()
for arg in "$@"; do
  case "$arg" in
    --no-load) run_load=0 ;;
    --no-watch) run_watch=0 ;;
    --only-watch) only_watch=1 ;;
    *) load_args+=("$arg") ;;
  esac
done

# The watch benchmark: two runs, then its block of BENCHMARKS.md.
watch_bench() {
  "$here/scripts/build.sh" watch_load execgw >/dev/null
  local dir
  dir="$(mktemp -d)"
  local before
  before="$(cut -d' ' -f1-3 /proc/loadavg)"
  for mode in events polling; do
    local events=true
    [ "$mode" = polling ] && events=false
    echo "bench.sh: running watch_load --polos_events=$events" >&2
    if ! "$here/build/tests/bench/watch_load" --polos_events="$events" \
      --json="$dir/$mode.json" >&2; then
      echo "bench.sh: watch_load failed" >&2
      rm -rf "$dir"
      exit 1
    fi
  done
  python3 "$here/scripts/watch_report.py" --events "$dir/events.json" \
    --polling "$dir/polling.json" --command "$command" \
    --conditions "load average before $before, after $(cut -d' ' -f1-3 /proc/loadavg), on $(nproc) CPUs" \
    --out "$here/BENCHMARKS.md"
  rm -rf "$dir"
  echo "bench.sh: wrote the watch section of $here/BENCHMARKS.md" >&2
}
if [ "$only_watch" = 1 ]; then
  watch_bench
  exit 0
fi

targets=(translate_bench codec_bench gateway_bench)
if [ "$run_load" = 1 ]; then
  if [ ! -f "$here/tests/bench/unary_load.cc" ]; then
    echo "bench.sh: tests/bench/unary_load.cc is not in this tree (use --no-load)" >&2
    exit 1
  fi
  targets+=(unary_load)
fi
echo "bench.sh: building ${targets[*]}" >&2
"$here/scripts/build.sh" "${targets[@]}" >/dev/null

loadavg_before="$(cut -d' ' -f1-3 /proc/loadavg)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
bin="$here/build/tests/bench"

# Google Benchmark: three repetitions, the median reported.
gbench() {
  local name="$1"
  echo "bench.sh: running $name" >&2
  if ! "$bin/$name" --benchmark_format=json --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true >"$out/$name.json" 2>"$out/$name.err"; then
    echo "bench.sh: $name failed:" >&2
    cat "$out/$name.err" >&2
    exit 1
  fi
  # A benchmark that skipped with an error still exits 0: fail on it too.
  if grep -q '"error_occurred": true' "$out/$name.json"; then
    echo "bench.sh: $name reported an error:" >&2
    grep -B2 -A2 '"error_message"' "$out/$name.json" >&2
    exit 1
  fi
}
gbench translate_bench
gbench codec_bench
gbench gateway_bench

report_args=(--translate "$out/translate_bench.json" --codec "$out/codec_bench.json"
  --gateway "$out/gateway_bench.json")
if [ "$run_load" = 1 ]; then
  echo "bench.sh: running unary_load ${load_args[*]}" >&2
  # Distinct executions, so that every GetExecution reaches the upstream
  # (gateway_bench measures the shared reads); a later --executions wins.
  if ! "$bin/unary_load" --executions=128 --json="$out/unary_load.json" "${load_args[@]}" >&2; then
    echo "bench.sh: unary_load failed" >&2
    exit 1
  fi
  report_args+=(--load "$out/unary_load.json")
fi

conditions="load average (1, 5, 15 min) before the run $loadavg_before, after it $(cut -d' ' -f1-3 /proc/loadavg), on $(nproc) CPUs"
python3 "$here/scripts/bench_report.py" "${report_args[@]}" --command "$command" \
  --conditions "$conditions" --out "$here/BENCHMARKS.md"
echo "bench.sh: wrote $here/BENCHMARKS.md" >&2
if [ "$run_watch" = 1 ]; then watch_bench; fi
