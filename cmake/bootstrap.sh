#!/usr/bin/env bash
# The README's two commands: install the Debian packages, configure and build
# with CMake, then either run the demo (`demo`) or the whole test suite (`test`).
# Environment: BUILD_DIR (default build), BUILD_TYPE (default RelWithDebInfo),
# RPCNET_SANITIZE=ON for an ASan+UBSan build, JOBS (default: nproc).
set -euo pipefail

mode="${1:-demo}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
jobs="${JOBS:-$(nproc)}"

bash "$root/cmake/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DRPCNET_WERROR=ON \
  -DRPCNET_SANITIZE="${RPCNET_SANITIZE:-OFF}"
cmake --build "$build" -j "$jobs"

case "$mode" in
  # The Rust RpcNet's four terminals at once: director, two workers and a
  # client on loopback for at most 20 s, then a clean shutdown.
  demo) "$build/apps/rpcnet/rpcnet" demo --certs "$root/certs" --duration 20 ;;
  test) cd "$build" && ctest --output-on-failure -j "$jobs" --timeout 300 ;;
  *) echo "usage: cmake/bootstrap.sh demo|test" >&2; exit 2 ;;
esac
