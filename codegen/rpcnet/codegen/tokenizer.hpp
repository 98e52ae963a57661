// Splits a definition file into tokens: identifiers, integer literals,
// punctuation and preprocessor lines. Whitespace and comments vanish, except
// that `///` doc comments ride on the token after them, so generated code
// keeps the definition's documentation. Each token keeps its position so
// that every later error can point at it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <rpcnet/codegen/source_position.hpp>

namespace rpcnet::codegen {

enum class token_kind {
  identifier,  ///< names and keywords alike
  number,      ///< a decimal integer literal
  punctuation, ///< one of { } ( ) < > , ; : = & and the two-character ::
  directive,   ///< a whole preprocessor line, '#' included
  end,         ///< the end of the input
};

struct token {
  token_kind kind = token_kind::end;
  std::string text;
  source_position pos;
  std::string doc; ///< the `///` lines just before, without "/// ", joined by '\n'
};

/// Tokenizing fails at the first character outside the subset.
struct tokenize_result {
  std::vector<token> tokens; ///< ends with an `end` token on success
  bool ok = true;
  source_position error_pos;
  std::string error;
};

/// Inputs larger than this are refused: definitions are small, and the
/// bound keeps hostile input from costing unbounded time or memory.
inline constexpr size_t max_definition_bytes = 1 << 20;

/// Tokenizes `text`.
tokenize_result tokenize(std::string_view text);

} // namespace rpcnet::codegen
