// The node registry's core, without I/O: every live member of the cluster
// (alive or suspect) with its address, tags and state, kept up to date by
// applying membership events. A member that fails or leaves is dropped at
// the event (SWIM keeps the tombstones; a restarted process comes back
// under a new id, so keeping dead entries here would only grow). The node
// registry actor owns one, adds its own node with a joined event if it
// wants it listed, and forwards events to subscribers.
#pragma once

#include <cstddef>
#include <map>
#include <string_view>
#include <vector>

#include <rpcnet/membership/member.hpp>
#include <rpcnet/membership/membership_event.hpp>
#include <rpcnet/membership/node_id.hpp>
#include "tag_filter.hpp"

namespace rpcnet {

class node_registry {
public:
  // -- membership -------------------------------------------------------------

  /// Applies one event: a live subject is added or replaced, any other
  /// removed; partition events are skipped (see member_change.hpp).
  /// Returns whether the registry changed.
  bool apply(const membership_event& event);

  // -- queries ----------------------------------------------------------------

  /// All nodes, in id order.
  std::vector<member> nodes() const;

  size_t node_count() const noexcept {
    return nodes_.size();
  }

  /// The node with `id`, or nullptr; valid until the next apply().
  const member* find(const node_id& id) const;

  /// Nodes whose tag `key` has the value `value`, in id order.
  std::vector<member> nodes_with_tag(std::string_view key, std::string_view value) const;

  /// Nodes that have the tag `key` with any value (the Rust RpcNet's
  /// nodes_with_tag("gpu")), in id order.
  std::vector<member> nodes_with_tag(std::string_view key) const;

  /// Nodes matching `filter`, in id order.
  std::vector<member> nodes_matching(const tag_filter& filter) const;

private:
  template <class Predicate>
  std::vector<member> nodes_if(Predicate keep) const;

  std::map<node_id, member> nodes_;
};

} // namespace rpcnet
