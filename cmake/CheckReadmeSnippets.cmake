# Checks that every code block in README.md preceded by
#   <!-- snippet: <path>#<name> -->
# equals the region between the markers "snippet-begin: <name>" and
# "snippet-end: <name>" in <path> (leading indentation ignored), so the
# README only shows code that the build compiles or runs. The markers are
# comments in the file's language: "// snippet-begin: <name>" in C++,
# "# snippet-begin: <name>" in CMake files and shell scripts. Blocks may be
# ```cpp, ```cmake or ```sh.
# Usage: cmake -DROOT=<source dir> -P CheckReadmeSnippets.cmake
file(READ "${ROOT}/README.md" readme)
# Semicolons would split CMake lists; compare with a stand-in.
string(REPLACE ";" "<semicolon>" readme "${readme}")
string(REGEX MATCHALL "<!-- snippet: [^ ]+ -->\n```(cpp|cmake|sh)\n[^`]*```" blocks "${readme}")
list(LENGTH blocks count)
if(count EQUAL 0)
  message(FATAL_ERROR "README.md has no snippet blocks")
endif()

function(strip_indent text out)
  string(REGEX REPLACE "(^|\n)[ ]+" "\\1" text "${text}")
  string(STRIP "${text}" text)
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

foreach(block IN LISTS blocks)
  string(REGEX MATCH "<!-- snippet: ([^#]+)#([^ ]+) -->" _ "${block}")
  set(path "${CMAKE_MATCH_1}")
  set(name "${CMAKE_MATCH_2}")
  string(REGEX REPLACE "^<!--[^\n]*\n```[a-z]+\n" "" shown "${block}")
  string(REGEX REPLACE "```$" "" shown "${shown}")
  if(NOT EXISTS "${ROOT}/${path}")
    message(FATAL_ERROR "README snippet ${path}#${name}: no such file")
  endif()
  if(path MATCHES "(^|/)CMakeLists\\.txt$|\\.cmake$|\\.sh$")
    set(comment "#")
  else()
    set(comment "//")
  endif()
  file(READ "${ROOT}/${path}" source)
  string(REPLACE ";" "<semicolon>" source "${source}")
  string(FIND "${source}" "${comment} snippet-begin: ${name}\n" begin)
  string(FIND "${source}" "${comment} snippet-end: ${name}\n" end)
  if(begin EQUAL -1 OR end EQUAL -1)
    message(FATAL_ERROR "README snippet ${path}#${name}: markers "
                        "'${comment} snippet-begin: ${name}' / '${comment} snippet-end: ${name}' "
                        "not found in the source")
  endif()
  string(LENGTH "${comment} snippet-begin: ${name}\n" marker_len)
  math(EXPR from "${begin} + ${marker_len}")
  math(EXPR len "${end} - ${from}")
  string(SUBSTRING "${source}" ${from} ${len} region)
  strip_indent("${shown}" shown)
  strip_indent("${region}" region)
  if(NOT shown STREQUAL region)
    message(FATAL_ERROR "README snippet ${path}#${name} differs from the source; "
                        "copy the region between its snippet markers into README.md")
  endif()
endforeach()
message(STATUS "README.md: ${count} snippets match their sources")
