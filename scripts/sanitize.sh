#!/usr/bin/env bash
# scripts/sanitize.sh asan|tsan [ctest args...]
# Builds execgw with gcc's sanitizers into a tree of its own and runs the
# tests there; exits non-zero on any failed test or any sanitizer report.
#
# asan: AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer, every
#   target (the programs the tests start too) in build-asan, the whole CTest
#   suite.
# tsan: ThreadSanitizer in build-tsan, against a TSan-instrumented Abseil
#   built from Debian's own source package (build-tsan/abseil: Debian's
#   libabsl is not instrumented, and TSan cannot see the ordering its
#   absl::Mutex gives); the tests of the gateway's own concurrency, labelled
#   `tsan` in CTest (README: "Sanitizers").
#
# Reports go to files (log_path), not only to the test's output, so that a
# report from a process a test starts and whose exit status it does not read
# still fails the run; the script prints each one.
# Suppressions: tests/sanitizers/*.supp, third-party code only.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
mode="${1:-}"
shift || true
case "$mode" in
  asan) sanitize="address,undefined" ;;
  tsan) sanitize="thread" ;;
  *) echo "usage: $0 asan|tsan [ctest args...]" >&2; exit 2 ;;
esac
build="$here/build-$mode"
supp="$here/tests/sanitizers"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
jobs="$(nproc)"
opt="-O1 -g1 -DNDEBUG"
start=$SECONDS

# Debian's Abseil (libabsl-dev's version), from Debian's source package,
# built with -fsanitize=thread into $1 (shared libraries, the same options
# and so the same ABI as Debian's: same source, same options.h, C++17).
# apt-get source reads deb-src lists that this makes in a folder of its own
# from the machine's deb lists; the machine's apt setup is left as it is.
# Done once per build tree (a stamp names the version).
build_tsan_abseil() {
  local prefix="$1"
  local version
  version="$(dpkg-query -W -f='${source:Version}' libabsl-dev)"
  if [ "$(cat "$prefix/.stamp" 2>/dev/null)" = "$version" ]; then return; fi
  local work="$prefix.work"
  rm -rf "$work" "$prefix" && mkdir -p "$work/apt/lists/partial" "$work/src"
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    sed 's/^Types: deb$/Types: deb-src/' "$f" >"$work/apt/$(basename "$f")"
  done
  if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >"$work/apt/sources.list"
  fi
  local apt=(-o Dir::Etc::SourceList="$work/apt/sources.list" -o Dir::Etc::SourceParts="$work/apt"
    -o Dir::State::Lists="$work/apt/lists")
  touch "$work/apt/sources.list"
  echo "sanitize tsan: Debian's abseil $version source package" >&2
  apt-get "${apt[@]}" -q update >/dev/null
  # apt-get downloads as _apt where it can write.
  chmod 777 "$work/src"
  (cd "$work/src" && apt-get "${apt[@]}" -q source "abseil=$version" >/dev/null 2>&1)
  local src
  src="$(find "$work/src" -maxdepth 1 -mindepth 1 -type d -name 'abseil-*')"
  echo "sanitize tsan: building it with -fsanitize=thread" >&2
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$opt" \
    -DCMAKE_CXX_STANDARD=17 -DBUILD_SHARED_LIBS=ON -DCMAKE_CXX_FLAGS="-fsanitize=thread" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_RPATH='$ORIGIN' "${launcher[@]}" >/dev/null
  cmake --build "$work/build" -j"$jobs" >/dev/null
  cmake --install "$work/build" >/dev/null
  echo "$version" >"$prefix/.stamp"
  rm -rf "$work"
}

cmake_args=()
if [ "$mode" = tsan ]; then
  absl_prefix="$build/abseil"
  build_tsan_abseil "$absl_prefix"
  cmake_args+=(-Dabsl_DIR="$absl_prefix/lib/cmake/absl")
  # Every library that loads libabsl (gRPC, protobuf's users) gets the
  # instrumented copy, not Debian's.
  export LD_LIBRARY_PATH="$absl_prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

echo "== sanitize $mode: build ($sanitize) in ${build#"$here/"}"
# -O1 -g1: what the sanitizers' own documentation advises (-O1 keeps the
# tests' timing close to the ordinary build's; line tables are all a report's
# stack needs), and half the compile time of -O2 -g under ASan.
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEXECGW_SANITIZE="$sanitize" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$opt" \
  -DEXECGW_BENCHMARKS=OFF "${launcher[@]}" "${cmake_args[@]}" >/dev/null
if [ "$mode" = tsan ]; then
  # Only what the `tsan` tests need.
  cmake --build "$build" -j"$jobs" --target execgw_tsan_tests
else
  cmake --build "$build" -j"$jobs"
fi
echo "sanitize $mode: built in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"

reports="$build/sanitizer-reports"
rm -rf "$reports" && mkdir -p "$reports"
common="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$reports/report"
export UBSAN_OPTIONS="$common:suppressions=$supp/ubsan.supp"
export ASAN_OPTIONS="$common:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export TSAN_OPTIONS="$common:second_deadlock_stack=1:suppressions=$supp/tsan.supp"

echo "== sanitize $mode: ctest"
status=0
cd "$build"
selection=()
if [ "$mode" = tsan ]; then
  # Left out under TSan: four tests whose assertions are wall-clock
  # arithmetic on real attempts of a few hundred milliseconds (how many fit
  # in a deadline), which TSan's slowdown of every request moves. They
  # check timing, not concurrency, and run in the ordinary and asan builds.
  selection=(-L tsan -E '^ResilientHttpClientTest[.](SlowAttemptEndsAtTheDeadline|AttemptTimeoutIsRetriedWhileTheDeadlineLeavesRoom|AttemptTimeoutOfAWriteIsNotRetried|EveryAttemptGetsItsTimeoutAndTheLastEndsByTheDeadline)$')
fi
ctest --output-on-failure -j"$jobs" --timeout 900 "${selection[@]}" "$@" || status=$?

found=0
for f in "$reports"/report*; do
  [ -e "$f" ] || continue
  found=$((found + 1))
  echo "---- sanitizer report ${f#"$build/"}:"
  cat "$f"
done
echo "sanitize $mode: $found sanitizer report(s); built and tested in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
if [ "$found" -gt 0 ] && [ "$status" -eq 0 ]; then status=1; fi
exit "$status"
