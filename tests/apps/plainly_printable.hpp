// The tests' yardstick for text the CLI prints: plainly printable, i.e.
// well-formed UTF-8 without a single control character, so a terminal shows
// it as it is and a reader of a log sees every line the CLI wrote and no
// other.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rpcnet::test {

inline bool plainly_printable(const std::string& text) {
  try {
    // dump's default error handler throws on bytes that are not UTF-8.
    (void)nlohmann::json(text).dump();
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f)
      return false;
  return true;
}

} // namespace rpcnet::test
