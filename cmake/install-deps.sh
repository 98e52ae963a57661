#!/usr/bin/env bash
# Installs the Debian packages rpcnet needs to build, test and benchmark.
# Idempotent and non-interactive; run as root (or with sudo available).
# iproute2 and nftables serve the packet-loss test, which drops gossip in a
# network namespace of its own (no netem on these kernels). prometheus gives
# the tests promtool and a real server that scrapes the admin address;
# libboost-dev holds Boost.Beast, which serves that address; chromium loads
# the dashboard headless in its test. libsystemd-dev gives the CLI sd_notify
# for its Type=notify units (packaging/systemd/); systemd gives the tests
# systemd-analyze, which verifies those units.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libcaf-dev
  libngtcp2-dev libngtcp2-crypto-gnutls-dev ngtcp2-client
  libgnutls28-dev gnutls-bin
  libboost-dev libboost-serialization-dev
  libcli11-dev libspdlog-dev nlohmann-json3-dev libtomlplusplus-dev catch2 libbenchmark-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  iproute2 nftables prometheus chromium procps
  libsystemd-dev systemd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all packages present"
  exit 0
fi

sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
