// Where something sits in a definition file, and the one error the code
// generator reports: "file:line:col: error: what", the form compilers use
// so editors jump to the place.
#pragma once

#include <cstdint>
#include <string>

namespace rpcnet::codegen {

/// A 1-based line and column; columns count bytes, a tab is one column.
struct source_position {
  uint32_t line = 1;
  uint32_t column = 1;
};

/// An error at a place in a file, or about a file as a whole (line 0).
struct diagnostic {
  std::string file;
  source_position pos{0, 0};
  std::string what;

  /// "file:line:col: error: what", or "Error: what" without a place.
  std::string to_string() const;
};

} // namespace rpcnet::codegen
