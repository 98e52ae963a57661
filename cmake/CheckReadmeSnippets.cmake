# Checks that every code block in README.md and docs/*.md preceded by
#   <!-- snippet: <path>#<name> -->
# equals the region between the markers "snippet-begin: <name>" and
# "snippet-end: <name>" in <path> (leading indentation ignored), so the
# documents only show code that the build compiles or runs. The markers are
# comments in the file's language: "// snippet-begin: <name>" in C++,
# "# snippet-begin: <name>" in CMake files and shell scripts. Blocks may be
# ```cpp, ```cmake or ```sh.
# Usage: cmake -DROOT=<source dir> -P CheckReadmeSnippets.cmake
cmake_minimum_required(VERSION 3.20)

# The snippet blocks of `doc` (relative to ROOT), in `out`: each marker,
# its fence and the text up to the fence that closes it (code may hold
# backticks, so the close is found, not matched). A marker without a fenced
# block right after it fails.
function(snippet_blocks doc out)
  file(READ "${ROOT}/${doc}" text)
  # Semicolons would split CMake lists; compare with a stand-in.
  string(REPLACE ";" "<semicolon>" text "${text}")
  set(blocks "")
  while(TRUE)
    string(FIND "${text}" "<!-- snippet: " at)
    if(at EQUAL -1)
      break()
    endif()
    string(SUBSTRING "${text}" ${at} -1 text)
    string(REGEX MATCH "^<!-- snippet: [^ ]+ -->\n```(cpp|cmake|sh)\n" head "${text}")
    if(NOT head)
      string(SUBSTRING "${text}" 0 80 shown)
      message(FATAL_ERROR "${doc}: a snippet marker without a ```cpp, ```cmake or ```sh "
                          "block on the next line: ${shown}")
    endif()
    string(LENGTH "${head}" head_len)
    string(SUBSTRING "${text}" ${head_len} -1 rest)
    string(FIND "${rest}" "\n```" close)
    if(close EQUAL -1)
      message(FATAL_ERROR "${doc}: a snippet block that is never closed: ${head}")
    endif()
    math(EXPR block_len "${head_len} + ${close} + 4")
    string(SUBSTRING "${text}" 0 ${block_len} block)
    list(APPEND blocks "${block}")
    string(SUBSTRING "${text}" ${block_len} -1 text)
  endwhile()
  set(${out} "${blocks}" PARENT_SCOPE)
endfunction()

function(strip_indent text out)
  string(REGEX REPLACE "(^|\n)[ ]+" "\\1" text "${text}")
  string(STRIP "${text}" text)
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

snippet_blocks(README.md readme_blocks)
if(NOT readme_blocks)
  message(FATAL_ERROR "README.md has no snippet blocks")
endif()
file(GLOB docs RELATIVE "${ROOT}" "${ROOT}/docs/*.md")
set(count 0)
foreach(doc README.md ${docs})
snippet_blocks(${doc} blocks)
foreach(block IN LISTS blocks)
  math(EXPR count "${count} + 1")
  string(REGEX MATCH "<!-- snippet: ([^#]+)#([^ ]+) -->" _ "${block}")
  set(path "${CMAKE_MATCH_1}")
  set(name "${CMAKE_MATCH_2}")
  string(REGEX REPLACE "^<!--[^\n]*\n```[a-z]+\n" "" shown "${block}")
  string(REGEX REPLACE "```$" "" shown "${shown}")
  if(NOT EXISTS "${ROOT}/${path}")
    message(FATAL_ERROR "${doc} snippet ${path}#${name}: no such file")
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
    message(FATAL_ERROR "${doc} snippet ${path}#${name}: markers "
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
    message(FATAL_ERROR "${doc} snippet ${path}#${name} differs from the source; "
                        "copy the region between its snippet markers into ${doc}")
  endif()
endforeach()
endforeach()
message(STATUS "README.md and docs: ${count} snippets match their sources")
