#!/usr/bin/env bash
# The packaging tests (ctest -L packaging): rpcnet as its users get it.
#
#   packaging_test.sh headers            install into a temporary prefix, list
#                                        it, fail on any header that is not
#                                        public or public one missing, then
#                                        compile each installed header alone
#   packaging_test.sh headers-self-test  the listing check fails on a private
#                                        (src/) header, a test header and a
#                                        missing public header
#   packaging_test.sh consumer           install, then build and run a project
#                                        of its own (consumer/) with
#                                        find_package(rpcnet) and
#                                        rpcnet_generate(), and a one-file
#                                        program with pkg-config alone
#   packaging_test.sh deb                cpack -G DEB: every library its
#                                        programs load comes from a package
#                                        in Depends; only public headers
#   packaging_test.sh without-test-deps  with the packages of Catch2, Google
#                                        Benchmark, gRPC and certtool hidden
#                                        (a mount namespace of its own; needs
#                                        root, as the suite runs in CI), a
#                                        build without tests and benchmarks
#                                        configures; one with tests does not
#
# tests/packaging/CMakeLists.txt sets the environment:
#   RPCNET_SOURCE_DIR, RPCNET_BUILD_DIR, RPCNET_CERT_DIR, RPCNET_VERSION,
#   RPCNET_INSTALL_LIBDIR (relative to the prefix),
#   RPCNET_PUBLIC_HEADER_ROOTS (':'-separated folders, each holding an
#   rpcnet/ folder of public headers), RPCNET_CXX, RPCNET_CXX_LAUNCHER
#   (may be empty), RPCNET_CXXFLAGS (the sanitizer flags of a sanitized
#   build, which its libraries need in every program that links them).
# Everything happens in a temporary folder outside the source tree, removed
# at the end (kept when RPCNET_KEEP_PACKAGING_TMP=1). Every step is bounded
# by `timeout`; a failed step prints what it ran and its output.
set -euo pipefail

mode="${1:?usage: packaging_test.sh headers|headers-self-test|consumer|deb|without-test-deps}"
# The hidden packages are hidden from this process alone: it runs again in
# a mount namespace of its own, where mounts vanish when it exits.
if [[ "$mode" == without-test-deps && "${RPCNET_PACKAGES_HIDDEN:-0}" != 1 ]]; then
  if [[ $(id -u) -ne 0 ]] || ! unshare --mount true 2>/dev/null; then
    echo "packaging_test.sh: hiding packages needs root and a mount namespace" \
         "(unshare --mount); run the suite as root, as CI does" >&2
    exit 1
  fi
  exec unshare --mount --propagation private env RPCNET_PACKAGES_HIDDEN=1 bash "$0" "$mode"
fi
for var in RPCNET_SOURCE_DIR RPCNET_BUILD_DIR RPCNET_CERT_DIR RPCNET_VERSION \
           RPCNET_INSTALL_LIBDIR RPCNET_PUBLIC_HEADER_ROOTS RPCNET_CXX; do
  [[ -n "${!var:-}" ]] || { echo "packaging_test.sh: $var is not set" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/rpcnet-packaging-$mode.XXXXXX")"
if [[ "${RPCNET_KEEP_PACKAGING_TMP:-0}" == 1 ]]; then
  trap 'echo "kept $work"' EXIT
else
  trap 'rm -rf "$work"' EXIT
fi
prefix="$work/prefix"

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# step <what> <seconds> <command...>: runs the command with its output in a
# log; on failure or timeout prints the log's end and stops.
step() {
  local what=$1 seconds=$2
  shift 2
  local log="$work/step.log"
  echo "== $what"
  local rc=0
  timeout "$seconds" "$@" >"$log" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    tail -n 150 "$log" >&2
    [[ $rc -eq 124 ]] && fail "$what: no result within $seconds s: $*"
    fail "$what: exit status $rc: $*"
  fi
}

install_rpcnet() {
  step "cmake --install into $prefix" 120 cmake --install "$RPCNET_BUILD_DIR" --prefix "$prefix"
}

# A CMake project outside the tree, configured against the installed prefix
# with the build's compiler (and its sanitizer flags).
configure_against_prefix() {
  local source=$1 build=$2
  shift 2
  step "configure $(basename "$source") against the installed rpcnet" 120 \
    cmake -S "$source" -B "$build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
          -DCMAKE_CXX_COMPILER="$RPCNET_CXX" -DCMAKE_CXX_COMPILER_LAUNCHER="${RPCNET_CXX_LAUNCHER:-}" \
          -DCMAKE_CXX_FLAGS="${RPCNET_CXXFLAGS:-}" "$@"
}

# check_headers <root>: every header under <root> (an installed prefix or an
# unpacked package's usr/), and every file under its include/, is one of the
# public headers, and every public header is there. Prints what differs.
check_headers() {
  local root=$1 expected="$work/headers.expected" found="$work/headers.found"
  local IFS=:
  local dir
  for dir in $RPCNET_PUBLIC_HEADER_ROOTS; do
    (cd "$dir" && find rpcnet -name '*.hpp' | sed 's|^|include/|')
  done | sort >"$expected"
  unset IFS
  (cd "$root" && {
    [[ -d include ]] && find include -type f
    find . -type f \( -name '*.h' -o -name '*.hpp' -o -name '*.hh' -o -name '*.hxx' \
                      -o -name '*.ipp' -o -name '*.tpp' -o -name '*.inl' \) | sed 's|^\./||'
  }) | sort -u >"$found"
  local extra missing
  extra="$(comm -13 "$expected" "$found")"
  missing="$(comm -23 "$expected" "$found")"
  if [[ -n "$extra" ]]; then
    echo "installed, but not a public header (public: a module's rpcnet/ folder):" >&2
    sed 's/^/  /' <<<"$extra" >&2
  fi
  if [[ -n "$missing" ]]; then
    echo "public headers not installed:" >&2
    sed 's/^/  /' <<<"$missing" >&2
  fi
  [[ -z "$extra" && -z "$missing" ]]
}

case "$mode" in
headers)
  install_rpcnet
  echo "== installed files"
  (cd "$prefix" && find . \( -type f -o -type l \) | sed 's|^\./|  |' | sort)
  check_headers "$prefix" || fail "the installed headers are not the public ones"
  echo "== $(find "$prefix/include" -type f | wc -l) installed headers, all public"
  configure_against_prefix "$RPCNET_SOURCE_DIR/tests/packaging/header_check" "$work/header-check" \
    -DRPCNET_INCLUDE_DIR="$prefix/include"
  step "compile every installed header on its own" 600 cmake --build "$work/header-check" -j2
  echo "== every installed header compiles on its own"
  ;;

headers-self-test)
  install_rpcnet
  check_headers "$prefix" || fail "the check refuses a clean install"
  # A private header where the public ones are, a test header, and a public
  # header gone.
  private="$(find "$RPCNET_SOURCE_DIR/transport/src" -name '*.hpp' | sort | head -n 1)"
  test_header="$(find "$RPCNET_SOURCE_DIR/tests/support" -name '*.hpp' | sort | head -n 1)"
  [[ -n "$private" && -n "$test_header" ]] || fail "no src/ or test header to plant"
  cp "$private" "$prefix/include/rpcnet/transport/"
  cp "$test_header" "$prefix/include/rpcnet/"
  rm "$prefix/include/rpcnet/actors/rpc_client.hpp"
  out="$(check_headers "$prefix" 2>&1)" && fail "the check passed a prefix with a src/ header, a test header and a public header missing"
  echo "$out"
  for name in "include/rpcnet/transport/$(basename "$private")" \
              "include/rpcnet/$(basename "$test_header")" include/rpcnet/actors/rpc_client.hpp; do
    grep -qxF "  $name" <<<"$out" || fail "the check did not name $name"
  done
  echo "== the check names a private header, a test header and a missing public header"
  ;;

consumer)
  install_rpcnet
  # A copy, so that nothing can reach into the source tree by a relative path.
  cp -r "$RPCNET_SOURCE_DIR/tests/packaging/consumer" "$work/notes"
  configure_against_prefix "$work/notes" "$work/notes-build"
  step "build the consumer (find_package + rpcnet_generate)" 600 cmake --build "$work/notes-build" -j2
  step "run notes-demo: unary and server-streaming calls over QUIC" 60 \
    "$work/notes-build/notes-demo" "$RPCNET_CERT_DIR"
  cat "$work/step.log"
  grep -qxF "rpcnet $RPCNET_VERSION" "$work/step.log" \
    || fail "notes-demo does not report rpcnet $RPCNET_VERSION (the project's version)"

  export PKG_CONFIG_PATH="$prefix/$RPCNET_INSTALL_LIBDIR/pkgconfig"
  step "pkg-config --modversion rpcnet" 10 pkg-config --modversion rpcnet
  [[ "$(cat "$work/step.log")" == "$RPCNET_VERSION" ]] \
    || fail "rpcnet.pc has version $(cat "$work/step.log"), not $RPCNET_VERSION"
  flags="$(pkg-config --cflags --libs rpcnet)" || fail "pkg-config --cflags --libs rpcnet"
  echo "== pkg-config --cflags --libs rpcnet: $flags"
  # shellcheck disable=SC2086 # the flags are words
  step "compile and link pkg_config_echo.cpp with pkg-config's flags alone" 300 \
    $RPCNET_CXX_LAUNCHER "$RPCNET_CXX" ${RPCNET_CXXFLAGS:-} -o "$work/pkg-config-echo" \
    "$work/notes/pkg_config_echo.cpp" $flags
  # The prefix is not one the dynamic linker searches.
  step "run pkg-config-echo over QUIC" 60 \
    env LD_LIBRARY_PATH="$prefix/$RPCNET_INSTALL_LIBDIR" "$work/pkg-config-echo" "$RPCNET_CERT_DIR"
  cat "$work/step.log"
  ;;

deb)
  step "cpack -G DEB" 300 cpack --config "$RPCNET_BUILD_DIR/CPackConfig.cmake" -G DEB -B "$work/deb"
  deb="$(find "$work/deb" -maxdepth 1 -name "rpcnet_${RPCNET_VERSION}_*.deb")"
  [[ -n "$deb" ]] || fail "cpack made no rpcnet_${RPCNET_VERSION}_*.deb"
  dpkg-deb -I "$deb"
  depends="$(dpkg-deb -f "$deb" Depends)"
  dpkg-deb -x "$deb" "$work/root"
  # Every shared library the package's binaries need and do not ship
  # themselves must come from a package that Depends names.
  needed="$(find "$work/root" -type f \( -perm -u+x -o -name '*.so*' \) -exec sh -c \
              'readelf -d "$1" 2>/dev/null | sed -n "s/.*(NEEDED).*\[\(.*\)\]/\1/p"' _ {} \; | sort -u)"
  [[ -n "$needed" ]] || fail "no binary in the package needs a shared library"
  # Depends as bare package names, one a line (no versions, alternatives split).
  depends_names="$(tr ',|' '\n\n' <<<"$depends" | sed 's/^ *//; s/ .*//')"
  for soname in $needed; do
    [[ -n "$(find "$work/root" -name "$soname")" ]] && continue
    # The packages holding a file of that name, and the virtual packages
    # they provide (a shlibs file may name one: libspdlog1.10-fmt9); Depends
    # must name one of them.
    packages="$(dpkg -S "*/$soname" 2>/dev/null | cut -d: -f1 | sort -u)"
    [[ -n "$packages" ]] || fail "no installed package provides $soname"
    packages="$(echo "$packages"; for p in $packages; do
                  dpkg-query -W -f='${Provides}' "$p" | tr ',' '\n' | sed 's/^ *//; s/ .*//'
                done)"
    grep -qxFf <(echo "$packages") <<<"$depends_names" \
      || fail "$soname comes from $(echo $packages), which Depends does not name: $depends"
    echo "  $soname: $(grep -xFf <(echo "$packages") <<<"$depends_names" | head -n 1)"
  done
  check_headers "$work/root/usr" || fail "the package's headers are not the public ones"
  echo "== Depends names every library the package loads; its headers are the public ones"
  ;;

without-test-deps)
  # Hide what the packages install for CMake, pkg-config and PATH to find:
  # their own CMake folders under an empty tmpfs (an empty file there would
  # still count as a config found), .pc files and programs under /dev/null.
  files="$(dpkg -L catch2 libbenchmark-dev libgrpc++-dev libprotobuf-dev protobuf-compiler \
                   protobuf-compiler-grpc gnutls-bin 2>/dev/null || true)"
  hidden=0
  for dir in $(grep '\.cmake$' <<<"$files" | xargs -r -n 1 dirname | sort -u); do
    [[ -d "$dir" && "$(basename "$dir")" != cmake ]] || continue
    mount -t tmpfs tmpfs "$dir"
    hidden=$((hidden + 1))
  done
  for file in $(grep -E '\.pc$|^/usr/bin/' <<<"$files"); do
    [[ -f "$file" ]] || continue
    mount --bind /dev/null "$file"
    hidden=$((hidden + 1))
  done
  [[ $hidden -gt 0 ]] || fail "found none of the packages to hide"
  echo "== hid $hidden folders and files of catch2, libbenchmark-dev, gRPC, protobuf and gnutls-bin"
  source="$RPCNET_SOURCE_DIR"
  step "configure with RPCNET_BUILD_TESTS=OFF and RPCNET_BUILD_BENCHMARKS=OFF" 120 \
    cmake -S "$source" -B "$work/no-tests" -G Ninja -DCMAKE_CXX_COMPILER="$RPCNET_CXX" \
          -DRPCNET_BUILD_TESTS=OFF -DRPCNET_BUILD_BENCHMARKS=OFF
  grep -q "certtool (gnutls-bin) not found: no development certificates" "$work/step.log" \
    || fail "the configure without certtool does not say the examples lack certificates"
  step "configure with BUILD_TESTING=OFF and RPCNET_BUILD_BENCHMARKS=OFF" 120 \
    cmake -S "$source" -B "$work/no-testing" -G Ninja -DCMAKE_CXX_COMPILER="$RPCNET_CXX" \
          -DBUILD_TESTING=OFF -DRPCNET_BUILD_BENCHMARKS=OFF
  # They are hidden indeed: the tests, which need them, stop with the
  # package's name.
  expect_refusal() {
    local package=$1 log="$work/refused.log"
    shift
    if cmake -S "$source" -B "$work/refused-$package" -G Ninja "$@" >"$log" 2>&1; then
      fail "configured with $package hidden: $*"
    fi
    grep -q "install the Debian package '$package'" "$log" \
      || { cat "$log" >&2; fail "the refusal does not name $package: $*"; }
    echo "== refused without $package: $*"
  }
  expect_refusal gnutls-bin -DRPCNET_BUILD_TESTS=ON
  expect_refusal catch2 -DRPCNET_BUILD_TESTS=ON -DCERTTOOL_EXECUTABLE=/bin/true
  ;;

*)
  fail "unknown mode $mode"
  ;;
esac
