// Names of membership event kinds, for logs and tests.
#include <rpcnet/membership/membership_event.hpp>

namespace rpcnet {

std::string_view to_string_view(membership_event::kind what) {
  using kind = membership_event::kind;
  switch (what) {
    case kind::joined: return "joined";
    case kind::left: return "left";
    case kind::failed: return "failed";
    case kind::suspect: return "suspect";
    case kind::recovered: return "recovered";
    case kind::updated: return "updated";
    case kind::partition_detected: return "partition_detected";
    case kind::partition_healed: return "partition_healed";
  }
  return "unknown";
}

} // namespace rpcnet
