// The definitions the codegen tests start from, read from the source tree:
// the greeting example's and the everything-at-once test definition.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

namespace test {

/// The text of `path`, relative to the source tree.
inline std::string read_source(const std::string& path) {
  std::ifstream in{std::string{RPCNET_SOURCE_DIR} + "/" + path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

inline const std::string greeting_path = "apps/examples/greeting/greeting.rpc.hpp";
inline const std::string everything_path = "tests/codegen/everything.rpc.hpp";

inline std::string greeting_definition() {
  return read_source(greeting_path);
}

inline std::string everything_definition() {
  return read_source(everything_path);
}

} // namespace test
