#!/bin/bash
# Instructions per unary call, client and server processes together, counted
# by callgrind: the same whatever else the machine does, so two builds or
# two settings compare on a noisy machine where calls/s do not.
#
#   benchmarks/tools/instructions-per-call.sh BUILD_DIR [rpcnet-bench unary flags...]
#   benchmarks/tools/instructions-per-call.sh build --metadata 4
#
# Start-up (processes, handshake) is taken out by running twice, 2 s and
# 6 s, and dividing the difference in instructions by the difference in
# calls. Needs valgrind and a C compiler; prints one line.
set -euo pipefail
if [[ $# -lt 1 || ! -x "$1/benchmarks/rpcnet-bench" ]]; then
  echo "usage: $0 BUILD_DIR [rpcnet-bench unary flags...]" >&2
  exit 2
fi
build=$(realpath "$1")
shift
here=$(dirname "$(realpath "$0")")
root=$(realpath "$here/../..")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -shared -fPIC -O2 -o "$work/shim.so" "$here/valgrind_shim.c" -ldl

# Prints "<calls> <instructions>" for one run of `$1` seconds with the
# flags that follow.
run() {
  local seconds=$1
  shift
  rm -f "$work"/cg.*
  local out
  out=$(SHIM_EXE="$build/benchmarks/rpcnet-bench" LD_PRELOAD="$work/shim.so" \
    valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$work/cg.%p" \
    "$build/benchmarks/rpcnet-bench" unary --concurrency 128 --payload 64 --warmup 0 \
    --certs "$root/certs" --json "$@" --duration "$seconds" 2>/dev/null)
  local calls total=0 t f
  calls=$(grep -o '"calls":[0-9]*' <<<"$out" | head -1 | cut -d: -f2)
  for f in "$work"/cg.*; do
    t=$(grep -E '^(summary|totals):' "$f" | head -1 | awk '{print $2}')
    total=$((total + t))
  done
  echo "$calls $total"
}

read -r short_calls short_ir < <(run 2 "$@")
read -r long_calls long_ir < <(run 6 "$@")
if (( long_calls <= short_calls )); then
  echo "$0: the 6 s run made no more calls than the 2 s run" >&2
  exit 1
fi
echo "flags: $* calls: $short_calls/$long_calls instructions/call:" \
  $(( (long_ir - short_ir) / (long_calls - short_calls) ))
