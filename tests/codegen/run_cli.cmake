# Runs rpcnet-gen and checks its exit status and output, for the CLI tests:
#   cmake -DEXE=<rpcnet-gen> -DARGS=<a|b|...> -DEXPECT=<ok|fail>
#         -DSTDOUT=<regex> -DSTDERR=<regex> [-DABSENT=<path that must not exist>]
#         [-DRUNS=<n>: run n times, check the last] -P run_cli.cmake
# '|' separates the arguments: add_test would split at ';'.
string(REPLACE "|" ";" ARGS "${ARGS}")
if(NOT DEFINED RUNS)
  set(RUNS 1)
endif()
foreach(run RANGE 1 ${RUNS})
  execute_process(COMMAND "${EXE}" ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
endforeach()
if(EXPECT STREQUAL "ok" AND NOT rc EQUAL 0)
  message(FATAL_ERROR "rpcnet-gen failed (${rc}): ${err}")
endif()
if(EXPECT STREQUAL "fail" AND rc EQUAL 0)
  message(FATAL_ERROR "rpcnet-gen succeeded but should have failed: ${out}")
endif()
if(DEFINED STDOUT AND NOT out MATCHES "${STDOUT}")
  message(FATAL_ERROR "stdout does not match '${STDOUT}':\n${out}")
endif()
if(DEFINED STDERR AND NOT err MATCHES "${STDERR}")
  message(FATAL_ERROR "stderr does not match '${STDERR}':\n${err}")
endif()
if(DEFINED ABSENT AND EXISTS "${ABSENT}")
  message(FATAL_ERROR "${ABSENT} was written")
endif()
