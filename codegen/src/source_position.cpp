#include <rpcnet/codegen/source_position.hpp>

namespace rpcnet::codegen {

std::string diagnostic::to_string() const {
  if (pos.line == 0)
    return "Error: " + what;
  return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column)
         + ": error: " + what;
}

} // namespace rpcnet::codegen
