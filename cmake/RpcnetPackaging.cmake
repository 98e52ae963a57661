# `cpack -G DEB` in the build folder: one Debian package, rpcnet, holding
# what `cmake --install` installs, under /usr. Its Depends line comes from
# dpkg-shlibdeps (the runtime library packages the binaries load, by their
# Debian names). Building against it needs the -dev packages of CAF, Boost,
# ngtcp2, GnuTLS and spdlog too (cmake/install-deps.sh), which the package
# suggests rather than pulls in for everyone who only runs the CLI.
include_guard(GLOBAL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME rpcnet)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "RPC services and clusters as actors in C++ over QUIC + TLS 1.3")
set(CPACK_PACKAGE_DESCRIPTION
    "The rpcnet libraries (transport, actors, typed, membership, cluster), their headers, \
CMake config and pkg-config file, the code generator rpcnet-gen and the rpcnet CLI.")
set(RPCNET_PACKAGE_CONTACT "rpcnet maintainers <maintainers@rpcnet.invalid>" CACHE STRING
    "The Debian package's Maintainer field (the default is a placeholder address)")
set(CPACK_PACKAGE_CONTACT "${RPCNET_PACKAGE_CONTACT}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Without the build's debug information: a tenth of the size.
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A shlibs file for the libraries and the ldconfig trigger that registers them.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
    "libcaf-dev, libboost-serialization-dev, libngtcp2-dev, libngtcp2-crypto-gnutls-dev, libgnutls28-dev, libspdlog-dev, pkg-config")
include(CPack)
