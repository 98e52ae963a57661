# Finds every library the rpcnet libraries and programs build against and
# stops with the name of the Debian package to install when one is missing.
# What only the tests or the benchmarks need is found where they are added
# (tests/, benchmarks/), so a build without them needs none of it.
include_guard(GLOBAL)

macro(rpcnet_require found package)
  if(NOT ${found})
    message(FATAL_ERROR "rpcnet: missing dependency; install the Debian package '${package}' "
                        "(cmake/install-deps.sh installs everything)")
  endif()
endmacro()

find_package(Threads REQUIRED)
find_package(PkgConfig)
rpcnet_require(PkgConfig_FOUND pkg-config)

find_package(CAF QUIET)
rpcnet_require(CAF_FOUND libcaf-dev)

pkg_check_modules(NGTCP2 QUIET IMPORTED_TARGET libngtcp2>=0.12)
rpcnet_require(NGTCP2_FOUND libngtcp2-dev)
if(NGTCP2_VERSION VERSION_GREATER_EQUAL 1.0)
  message(FATAL_ERROR "rpcnet: needs the ngtcp2 0.12 API, found ${NGTCP2_VERSION}")
endif()
pkg_check_modules(NGTCP2_CRYPTO QUIET IMPORTED_TARGET libngtcp2_crypto_gnutls)
rpcnet_require(NGTCP2_CRYPTO_FOUND libngtcp2-crypto-gnutls-dev)
pkg_check_modules(GNUTLS QUIET IMPORTED_TARGET gnutls>=3.7)
rpcnet_require(GNUTLS_FOUND libgnutls28-dev)

find_package(Boost 1.74 QUIET COMPONENTS serialization)
rpcnet_require(Boost_FOUND libboost-serialization-dev)

# The library's log (transport/rpcnet/transport/library_log.hpp).
find_package(spdlog QUIET CONFIG)
rpcnet_require(spdlog_FOUND libspdlog-dev)

# The CLI's readiness and stopping notifications to systemd
# (apps/rpcnet/service_manager.cpp); the libraries do not use it.
pkg_check_modules(LIBSYSTEMD QUIET IMPORTED_TARGET libsystemd)
rpcnet_require(LIBSYSTEMD_FOUND libsystemd-dev)

find_package(CLI11 QUIET CONFIG)
rpcnet_require(CLI11_FOUND libcli11-dev)

find_package(nlohmann_json 3.11 QUIET CONFIG)
rpcnet_require(nlohmann_json_FOUND nlohmann-json3-dev)

# The CLI's configuration file (apps/rpcnet/config_file.cpp alone includes
# it). Debian builds toml++ as a shared library (libtomlplusplus3), not
# header-only: its target carries the -DTOML_HEADER_ONLY=0
# -DTOML_SHARED_LIB=1 that say so. 4.x may change the API.
find_package(tomlplusplus 3.3...<4 QUIET CONFIG)
rpcnet_require(tomlplusplus_FOUND libtomlplusplus-dev)
