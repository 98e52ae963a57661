# rpcnet_library(<target> EXPORT_NAME <name> [HEADERS <dir>...])
#
# Makes <target> one of the libraries rpcnet installs, rpcnet::<name> both
# in this tree (an alias) and for find_package(rpcnet) (the export):
#
#  - its public headers are each <dir>'s rpcnet/ folder, included as
#    <rpcnet/...> from <dir> here and from include/ once installed; only
#    that folder is installed, so the private headers beside the sources
#    (src/) cannot be;
#  - a compiled library gets the project's VERSION and an SOVERSION:
#    major.minor while the major is 0 (any 0.x release may break the ABI),
#    the major from 1.0 on; installed shared, it finds its siblings by
#    $ORIGIN;
#  - it builds with rpcnet_options (warnings, sanitizers), which the export
#    leaves out: what a program that uses rpcnet compiles with is its own;
#  - it asks for C++20 of everything that links it.
#
# RpcnetInstall.cmake writes the export, the CMake config and rpcnet.pc.
include_guard(GLOBAL)

if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(RPCNET_SOVERSION "${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}")
else()
  set(RPCNET_SOVERSION "${PROJECT_VERSION_MAJOR}")
endif()

function(rpcnet_library target)
  cmake_parse_arguments(arg "" "EXPORT_NAME" "HEADERS" ${ARGN})
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    set(scope INTERFACE)
  else()
    set(scope PUBLIC)
    set_target_properties(${target} PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${RPCNET_SOVERSION}
                                               INSTALL_RPATH "$ORIGIN")
    target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:rpcnet_options>)
  endif()
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${arg_EXPORT_NAME})
  target_compile_features(${target} ${scope} cxx_std_20)
  if(arg_HEADERS)
    target_include_directories(${target} ${scope} $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  endif()
  foreach(dir IN LISTS arg_HEADERS)
    target_include_directories(${target} ${scope} $<BUILD_INTERFACE:${dir}>)
    install(DIRECTORY "${dir}/rpcnet" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
            FILES_MATCHING PATTERN "*.hpp")
  endforeach()
  add_library(rpcnet::${arg_EXPORT_NAME} ALIAS ${target})
  install(TARGETS ${target} EXPORT rpcnetTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  set_property(GLOBAL APPEND PROPERTY RPCNET_LIBRARIES ${target})
endfunction()
