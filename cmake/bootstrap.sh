#!/usr/bin/env bash
# The README's two commands: install the Debian packages, configure and build
# with CMake, then either run the demo (`demo`) or the whole test job
# (`test`): the suite, the suite again under AddressSanitizer +
# UndefinedBehaviorSanitizer, and every libFuzzer fuzzer for a bounded time.
# `quick-test` runs the plain suite alone, for the edit-build-test loop.
# Environment: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo),
# RPCNET_SANITIZE=ON for an ASan+UBSan build in BUILD_DIR (demo, quick-test),
# ASAN_BUILD_DIR (default build-asan), FUZZ_BUILD_DIR (default build-fuzz),
# FUZZ_SECONDS (default 30 per fuzzer),
# JOBS (default: nproc).
set -euo pipefail

mode="${1:-demo}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
asan_build="${ASAN_BUILD_DIR:-$root/build-asan}"
fuzz_build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
jobs="${JOBS:-$(nproc)}"

# configure_and_build <dir> [cmake options...]
configure_and_build() {
  local dir="$1"
  shift
  cmake -S "$root" -B "$dir" -G Ninja \
    -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    -DRPCNET_WERROR=ON "$@"
  cmake --build "$dir" -j "$jobs"
}

# run_suite <dir> <timeout per test in s>
run_suite() {
  (cd "$1" && ctest --output-on-failure -j "$jobs" --timeout "$2")
}

# stage <name> <command...>: runs one part of the test job and says how long
# it took, so that CI's time is visible where it goes.
stage() {
  local name="$1"
  shift
  local start=$SECONDS
  echo "== $name"
  "$@"
  echo "== $name: passed in $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s"
}

case "$mode" in
  demo | test | quick-test) ;;
  *) echo "usage: cmake/bootstrap.sh demo|test|quick-test" >&2; exit 2 ;;
esac
bash "$root/cmake/install-deps.sh"

case "$mode" in
  # The Rust RpcNet's four terminals at once: director, two workers and a
  # client on loopback for at most 20 s, then a clean shutdown.
  demo)
    configure_and_build "$build" -DRPCNET_SANITIZE="${RPCNET_SANITIZE:-OFF}"
    "$build/apps/rpcnet/rpcnet" demo --certs "$root/certs" --duration 20
    ;;
  quick-test)
    configure_and_build "$build" -DRPCNET_SANITIZE="${RPCNET_SANITIZE:-OFF}"
    run_suite "$build" 300
    ;;
  test)
    start=$SECONDS
    stage "build" configure_and_build "$build" -DRPCNET_SANITIZE=OFF
    stage "test suite" run_suite "$build" 300
    # The benchmarks are programs, not tests: the sanitized build skips them.
    stage "build with ASan+UBSan" configure_and_build "$asan_build" -DRPCNET_SANITIZE=ON \
      -DRPCNET_BUILD_BENCHMARKS=OFF
    stage "test suite under ASan+UBSan" run_suite "$asan_build" 900
    stage "fuzzers, ${FUZZ_SECONDS:-30} s each" env BUILD_DIR="$fuzz_build" \
      bash "$root/tests/fuzz/run-fuzzers.sh" "${FUZZ_SECONDS:-30}"
    echo "== the whole test job passed in $(((SECONDS - start) / 60)) min"
    ;;
esac
