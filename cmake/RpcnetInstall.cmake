# What `cmake --install` puts under the prefix, beside the libraries and
# public headers that rpcnet_library() (RpcnetLibrary.cmake) installs:
#
#   bin/rpcnet-gen, bin/rpcnet
#   <libdir>/cmake/rpcnet/  rpcnetConfig.cmake, rpcnetConfigVersion.cmake,
#                           rpcnetTargets*.cmake, FindCAF.cmake,
#                           RpcnetGenerate.cmake
#   <libdir>/pkgconfig/rpcnet.pc
#   lib/systemd/system/     rpcnet-director.service, rpcnet-worker@.service
#   <docdir>/examples/      director.toml, worker.toml (configuration files)
#
# Every path is relative to the prefix, so the tree can be installed
# anywhere (--prefix, DESTDIR, the Debian package's /usr).
include_guard(GLOBAL)
include(CMakePackageConfigHelpers)

foreach(dir IN ITEMS CMAKE_INSTALL_BINDIR CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
  if(IS_ABSOLUTE "${${dir}}")
    message(FATAL_ERROR "rpcnet: ${dir} must be relative to the prefix (it is ${${dir}})")
  endif()
endforeach()
set(RPCNET_CONFIG_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/rpcnet")

install(TARGETS rpcnet-gen EXPORT rpcnetTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
set_target_properties(rpcnet-gen PROPERTIES EXPORT_NAME rpcnet-gen)
# The CLI finds the shared libraries beside it wherever the prefix is.
file(RELATIVE_PATH rpcnet_bin_to_lib "/${CMAKE_INSTALL_BINDIR}" "/${CMAKE_INSTALL_LIBDIR}")
set_target_properties(rpcnet PROPERTIES INSTALL_RPATH "$ORIGIN/${rpcnet_bin_to_lib}")
install(TARGETS rpcnet RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The systemd units of the director and the workers (packaging/systemd/),
# made when installing rather than when configuring: their ExecStart names
# the program where this install puts it, and only then is the prefix known
# (`cmake --install --prefix`, or /usr when cpack stages the package under
# DESTDIR). lib/systemd/system is where systemd looks under /usr.
foreach(unit IN ITEMS rpcnet-director.service rpcnet-worker@.service)
  set(rendered "${CMAKE_CURRENT_BINARY_DIR}/packaging/systemd/${unit}")
  install(CODE "
    set(RPCNET_UNIT_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
    configure_file(\"${PROJECT_SOURCE_DIR}/packaging/systemd/${unit}.in\" \"${rendered}\" @ONLY)
    file(INSTALL \"${rendered}\" DESTINATION \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")")
endforeach()

install(EXPORT rpcnetTargets NAMESPACE rpcnet:: DESTINATION ${RPCNET_CONFIG_DIR})

get_target_property(rpcnet_transport_type rpcnet_transport TYPE)
if(rpcnet_transport_type STREQUAL "STATIC_LIBRARY")
  set(RPCNET_STATIC TRUE)
else()
  set(RPCNET_STATIC FALSE)
endif()
configure_package_config_file(cmake/rpcnetConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/rpcnetConfig.cmake"
  INSTALL_DESTINATION ${RPCNET_CONFIG_DIR})
# 0.x minor releases may break the API, as the SOVERSION says.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(rpcnet_compatibility SameMinorVersion)
else()
  set(rpcnet_compatibility SameMajorVersion)
endif()
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/rpcnetConfigVersion.cmake"
  COMPATIBILITY ${rpcnet_compatibility})
install(FILES
  "${CMAKE_CURRENT_BINARY_DIR}/rpcnetConfig.cmake"
  "${CMAKE_CURRENT_BINARY_DIR}/rpcnetConfigVersion.cmake"
  cmake/FindCAF.cmake
  cmake/RpcnetGenerate.cmake
  DESTINATION ${RPCNET_CONFIG_DIR})

# rpcnet.pc. Static libraries need their dependencies on every link line
# (Requires); shared ones only for a --static link (Requires.private). Each
# module comes before what it links (ngtcp2's crypto before ngtcp2).
# Dependent libraries come first: the reverse of rpcnet_library()'s order,
# in which each library follows those it links.
set(rpcnet_pc_private_modules "libngtcp2_crypto_gnutls, libngtcp2 >= 0.12, gnutls >= 3.7, spdlog")
if(RPCNET_STATIC)
  set(RPCNET_PC_REQUIRES "${rpcnet_pc_private_modules}")
  set(RPCNET_PC_REQUIRES_PRIVATE "")
  set(RPCNET_PC_LINKAGE "static, so ngtcp2, GnuTLS and spdlog are in Requires: every link needs them")
else()
  set(RPCNET_PC_REQUIRES "")
  set(RPCNET_PC_REQUIRES_PRIVATE "${rpcnet_pc_private_modules}")
  set(RPCNET_PC_LINKAGE "shared and link ngtcp2, GnuTLS and spdlog themselves: Requires.private,\n# for a --static link only")
endif()
get_property(rpcnet_libraries GLOBAL PROPERTY RPCNET_LIBRARIES)
list(REVERSE rpcnet_libraries)
set(RPCNET_PC_LIBS "")
foreach(lib IN LISTS rpcnet_libraries)
  get_target_property(type ${lib} TYPE)
  if(NOT type STREQUAL "INTERFACE_LIBRARY")
    string(APPEND RPCNET_PC_LIBS " -l${lib}")
  endif()
endforeach()
string(STRIP "${RPCNET_PC_LIBS}" RPCNET_PC_LIBS)
string(REGEX REPLACE "[^/]+" ".." RPCNET_PC_PREFIX_FROM_PCDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
configure_file(cmake/rpcnet.pc.in "${CMAKE_CURRENT_BINARY_DIR}/rpcnet.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/rpcnet.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Example configuration files for the units' --config (packaging/config/),
# checked by the tests with `rpcnet config check`.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/config/director.toml
              ${PROJECT_SOURCE_DIR}/packaging/config/worker.toml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
