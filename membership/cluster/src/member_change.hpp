// Which membership events the registries apply: those about one member's
// change. Partition events name this node as their subject and summarise
// changes that also arrive one member at a time, so they are skipped.
#pragma once

#include <rpcnet/membership/membership_event.hpp>

namespace rpcnet {

/// True for joined, left, failed, suspect, recovered and updated events.
constexpr bool is_member_change(const membership_event& event) noexcept {
  using kind = membership_event::kind;
  switch (event.what) {
    case kind::joined:
    case kind::left:
    case kind::failed:
    case kind::suspect:
    case kind::recovered:
    case kind::updated: return true;
    default: return false;
  }
}

} // namespace rpcnet
