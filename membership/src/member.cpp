// Names of member states, for logs and tests.
#include <rpcnet/membership/member.hpp>

namespace rpcnet {

std::string_view to_string_view(member_state state) {
  switch (state) {
    case member_state::alive: return "alive";
    case member_state::suspect: return "suspect";
    case member_state::dead: return "dead";
    case member_state::left: return "left";
  }
  return "unknown";
}

} // namespace rpcnet
