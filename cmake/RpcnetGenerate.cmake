# rpcnet_generate(<name> INPUTS <definition.rpc.hpp>...
#                 [OUTPUT_DIR <dir>] [SERVER_ONLY] [CLIENT_ONLY] [TYPES_ONLY])
#
# Runs rpcnet-gen at build time -- what build.rs does in the Rust rpcnet
# this project follows -- whenever a definition or the generator changes,
# and makes <name> an INTERFACE library: link it and include
# "<service>/<service>.hpp". Each service of each input becomes a sibling
# directory of OUTPUT_DIR (default: ${CMAKE_CURRENT_BINARY_DIR}/<name>).
#
# In the rpcnet tree it runs the rpcnet-gen target; elsewhere the installed
# one: find_package(rpcnet) includes this file from beside rpcnetConfig.cmake
# and imports rpcnet::rpcnet-gen and rpcnet::typed.
#
# The generated headers are declared as byproducts so that Ninja recompiles
# what includes them in the same build that regenerated them; their names
# come from the services found in the inputs ("struct X : rpcnet::service"),
# and a changed definition reconfigures to find new ones. rpcnet-gen leaves
# unchanged files untouched, so a cosmetic edit rebuilds nothing else.
include_guard(GLOBAL)

function(rpcnet_generate name)
  cmake_parse_arguments(arg "SERVER_ONLY;CLIENT_ONLY;TYPES_ONLY" "OUTPUT_DIR" "INPUTS" ${ARGN})
  if(NOT arg_INPUTS)
    message(FATAL_ERROR "rpcnet_generate(${name}): INPUTS is required")
  endif()
  if(NOT arg_OUTPUT_DIR)
    set(arg_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/${name}")
  endif()
  if(TARGET rpcnet-gen)
    set(generator rpcnet-gen)
  elseif(TARGET rpcnet::rpcnet-gen)
    set(generator rpcnet::rpcnet-gen)
  else()
    message(FATAL_ERROR "rpcnet_generate(${name}): no rpcnet-gen; call find_package(rpcnet) first")
  endif()

  set(flags "")
  set(files "")
  if(arg_SERVER_ONLY)
    list(APPEND flags --server-only)
    list(APPEND files server.hpp)
  endif()
  if(arg_CLIENT_ONLY)
    list(APPEND flags --client-only)
    list(APPEND files client.hpp)
  endif()
  if(arg_TYPES_ONLY)
    list(APPEND flags --types-only)
    if(NOT arg_SERVER_ONLY AND NOT arg_CLIENT_ONLY)
      list(APPEND files types.hpp)
    endif()
  endif()
  if(NOT flags)
    set(files server.hpp client.hpp types.hpp)
  endif()

  set(inputs "")
  set(input_args "")
  set(byproducts "")
  set(ident "[A-Za-z_][A-Za-z0-9_]*")
  set(ws "[ \t\r\n]")
  foreach(input IN LISTS arg_INPUTS)
    get_filename_component(input "${input}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND inputs "${input}")
    list(APPEND input_args --input "${input}")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${input}")
    file(READ "${input}" text)
    # Services named in comments are not services.
    string(REGEX REPLACE "//[^\n]*" "" text "${text}")
    string(REGEX REPLACE "/\\*([^*]|\\*+[^*/])*\\*+/" "" text "${text}")
    string(REGEX MATCHALL "struct${ws}+${ident}${ws}*(final${ws}*)?:${ws}*(public${ws}+)?rpcnet${ws}*::${ws}*service"
           services "${text}")
    foreach(match IN LISTS services)
      string(REGEX REPLACE "^struct${ws}+(${ident}).*" "\\1" service "${match}")
      string(TOLOWER "${service}" dir)
      list(APPEND byproducts "${arg_OUTPUT_DIR}/${dir}/${dir}.hpp")
      foreach(file IN LISTS files)
        list(APPEND byproducts "${arg_OUTPUT_DIR}/${dir}/${file}")
      endforeach()
    endforeach()
  endforeach()

  set(stamp "${CMAKE_CURRENT_BINARY_DIR}/${name}.rpcnet-gen.stamp")
  add_custom_command(
    OUTPUT "${stamp}"
    BYPRODUCTS ${byproducts}
    # The generator expression orders the build after an in-tree rpcnet-gen;
    # DEPENDS on its file reruns it when the generator changes.
    COMMAND "$<TARGET_FILE:${generator}>" ${input_args} --output "${arg_OUTPUT_DIR}" ${flags}
    COMMAND "${CMAKE_COMMAND}" -E touch "${stamp}"
    DEPENDS ${inputs} "$<TARGET_FILE:${generator}>"
    COMMENT "rpcnet-gen: generating ${name}"
    VERBATIM)
  add_custom_target(${name}_generate DEPENDS "${stamp}")

  add_library(${name} INTERFACE)
  target_include_directories(${name} INTERFACE "${arg_OUTPUT_DIR}")
  target_link_libraries(${name} INTERFACE rpcnet::typed)
  add_dependencies(${name} ${name}_generate)
endfunction()
