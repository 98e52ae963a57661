#!/usr/bin/env bash
# Builds the libFuzzer fuzzers of tests/fuzz (clang, -DRPCNET_FUZZ=ON, in a
# build folder of their own) and runs each for a bounded time on a scratch
# copy of its seed corpus and regressions, so the committed corpus does not
# grow. Crash inputs land in the artifacts folder; a fuzzer that crashed
# makes the script fail. Ends with a table per fuzzer: executions per
# second, the corpus after the run (files, bytes) and libFuzzer's coverage
# figures (cov: edges, ft: features) from its last status line.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS-PER-FUZZER]      (default 60)
#
# Environment: BUILD_DIR (default build-fuzz), FUZZ_ARTIFACTS (default
# BUILD_DIR/fuzz-artifacts; one folder per fuzzer), FUZZERS (names to run,
# default every folder of tests/fuzz/corpus), JOBS (default nproc),
# BUILD_LOCK (a file to hold with flock while configuring and building, on
# machines where builds take turns). Each fuzzer's output is kept in
# BUILD_DIR/fuzz-logs/<name>.log.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS-PER-FUZZER]" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/../.." && pwd)"
fuzz="$root/tests/fuzz"
build="${BUILD_DIR:-$root/build-fuzz}"
artifacts="${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}"
jobs="${JOBS:-$(nproc)}"
fuzzers="${FUZZERS:-$(cd "$fuzz/corpus" && ls -d */ | tr -d /)}"

# Only the fuzzers: no tests, benchmarks or examples; static libraries, so
# every instrumented object sits in the fuzzer itself. Warnings are errors
# in the gcc builds; clang finds others in the libraries, which must not
# stop the fuzzing (the fuzz targets themselves build with -Werror).
configure_and_build() {
  local start=$SECONDS
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRPCNET_FUZZ=ON -DRPCNET_WERROR=ON \
    -DBUILD_TESTING=OFF -DRPCNET_BUILD_BENCHMARKS=OFF -DRPCNET_BUILD_EXAMPLES=OFF \
    -DBUILD_SHARED_LIBS=OFF
  cmake --build "$build" -j "$jobs" --target rpcnet_fuzzers
  # Written down rather than kept: under BUILD_LOCK this runs in a subshell.
  echo $((SECONDS - start)) >"$scratch/build-seconds"
}
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
if [[ -n "${BUILD_LOCK:-}" ]]; then
  (flock 9 && configure_and_build) 9>"$BUILD_LOCK"
else
  configure_and_build
fi
build_seconds="$(cat "$scratch/build-seconds")"
mkdir -p "$build/fuzz-logs"

# The last libFuzzer status line's figure `key` ("cov", "ft", "exec/s").
figure() {
  { grep -E "^#[0-9]+" "$1" | grep " $2: " || true; } | tail -n 1 | sed -E "s/.* $2: ([0-9]+).*/\1/"
}

# A final-stats figure ("number_of_executed_units", "average_exec_per_sec").
final_stat() {
  { grep -E "^stat::$2:" "$1" || true; } | awk '{print $2}'
}

rows=()
failed=0
run_start=$SECONDS
for name in $fuzzers; do
  binary="$build/tests/fuzz/rpcnet-fuzz-$name"
  if [[ ! -x "$binary" ]]; then
    echo "$0: no fuzzer $binary for corpus $name" >&2
    exit 1
  fi
  corpus="$scratch/$name"
  mkdir -p "$corpus" "$artifacts/$name"
  cp "$fuzz/corpus/$name"/* "$corpus"/
  if [[ -d "$fuzz/regressions/$name" ]]; then
    find "$fuzz/regressions/$name" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$corpus"/ \;
  fi
  options=(-max_total_time="$seconds" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048
           -artifact_prefix="$artifacts/$name/")
  if [[ -f "$fuzz/dictionaries/$name.dict" ]]; then
    options+=(-dict="$fuzz/dictionaries/$name.dict")
  fi
  log="$build/fuzz-logs/$name.log"
  echo "== $name: ${seconds}s (log: $log)"
  result=ok
  if ! "$binary" "${options[@]}" "$corpus" >"$log" 2>&1; then
    result=FAILED
    failed=1
    { grep -E "ERROR|SUMMARY|violated|Test unit written" "$log" || true; } | head -n 8
  fi
  runs="$(final_stat "$log" number_of_executed_units)"
  execs="$(final_stat "$log" average_exec_per_sec)"
  files="$(find "$corpus" -type f | wc -l)"
  bytes="$(find "$corpus" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')"
  rows+=("$(printf '%-16s %10s %12s %7s %9s %7s %8s  %s' "$name" "${execs:-?}" "${runs:-?}" \
            "$files" "$bytes" "$(figure "$log" cov)" "$(figure "$log" ft)" "$result")")
done
run_seconds=$((SECONDS - run_start))

echo
printf '%-16s %10s %12s %7s %9s %7s %8s  %s\n' fuzzer exec/s runs files bytes cov ft result
printf '%s\n' "${rows[@]}"
echo
echo "configure and build: ${build_seconds}s; fuzzing: ${run_seconds}s; artifacts: $artifacts"
exit "$failed"
