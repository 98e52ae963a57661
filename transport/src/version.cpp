#include <rpcnet/transport/version.hpp>

namespace rpcnet {

// Compiled into the library, so it reports the library's version even to a
// program built against another version's headers.
std::string_view version() noexcept {
  return version_string;
}

} // namespace rpcnet
