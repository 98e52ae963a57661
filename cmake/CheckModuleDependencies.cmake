# Checks that the modules' dependencies point one way (docs/architecture.md,
# "Modules"): no source or header of a module includes a module it must not
# see, and ngtcp2 and GnuTLS appear only in transport/. Include paths already
# keep most of this from compiling; this also catches what the system include
# path would let through, and says which file broke the rule.
# Usage: cmake -DROOT=<source dir> -P CheckModuleDependencies.cmake

# <folder> <forbidden include prefixes...>; folders are checked recursively
# and a later, deeper folder overrides an earlier one for its files.
set(rules
  "transport|rpcnet/actors/|rpcnet/typed/|rpcnet/membership/|rpcnet/cluster/|rpcnet/simulator/|rpcnet/codegen/"
  "actors|rpcnet/membership/|rpcnet/cluster/|rpcnet/simulator/|rpcnet/codegen/|ngtcp2/|gnutls/"
  "membership|rpcnet/actors/|rpcnet/typed/|rpcnet/cluster/|rpcnet/codegen/|ngtcp2/|gnutls/"
  "membership/cluster|rpcnet/simulator/|rpcnet/codegen/|ngtcp2/|gnutls/"
  "membership/simulator|rpcnet/actors/|rpcnet/typed/|rpcnet/cluster/|rpcnet/codegen/|ngtcp2/|gnutls/"
  "codegen|rpcnet/transport/|rpcnet/actors/|rpcnet/typed/|rpcnet/membership/|rpcnet/cluster/|caf/|ngtcp2/|gnutls/"
  "apps|ngtcp2/|gnutls/")

set(violations "")
set(checked 0)
foreach(rule IN LISTS rules)
  string(REPLACE "|" ";" parts "${rule}")
  list(POP_FRONT parts folder)
  file(GLOB_RECURSE files "${ROOT}/${folder}/*.hpp" "${ROOT}/${folder}/*.cpp")
  foreach(file IN LISTS files)
    file(RELATIVE_PATH rel "${ROOT}" "${file}")
    # The deepest rule that covers a file decides.
    set(owner "")
    foreach(other IN LISTS rules)
      string(REGEX MATCH "^[^|]+" other_folder "${other}")
      string(LENGTH "${other_folder}" len)
      string(LENGTH "${owner}" owner_len)
      if(rel MATCHES "^${other_folder}/" AND len GREATER owner_len)
        set(owner "${other_folder}")
      endif()
    endforeach()
    if(NOT owner STREQUAL folder)
      continue()
    endif()
    math(EXPR checked "${checked} + 1")
    file(STRINGS "${file}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*<")
    foreach(line IN LISTS includes)
      foreach(prefix IN LISTS parts)
        string(FIND "${line}" "<${prefix}" at)
        if(NOT at EQUAL -1)
          string(STRIP "${line}" line)
          list(APPEND violations "${rel}: ${line} (the ${folder} module must not include ${prefix})")
        endif()
      endforeach()
    endforeach()
  endforeach()
endforeach()

if(checked LESS 100)
  message(FATAL_ERROR "checked only ${checked} files under ${ROOT}: is ROOT the source tree?")
endif()
if(violations)
  string(REPLACE ";" "\n  " text "${violations}")
  message(FATAL_ERROR "module dependencies broken:\n  ${text}")
endif()
message(STATUS "module dependencies point one way (${checked} files checked)")
