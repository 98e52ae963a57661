// What the cluster gossips about one member: its id, address, incarnation,
// state and tags. The same record is a push-pull entry on the wire, a row of
// a member list and the subject of a membership event.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <rpcnet/membership/node_id.hpp>

namespace rpcnet {

/// A member's state. The numbers are part of the gossip wire
/// (docs/PROTOCOL.md): never renumber.
enum class member_state : uint8_t {
  alive = 0,   ///< answers probes
  suspect = 1, ///< missed a probe; refutes or is declared dead
  dead = 2,    ///< declared failed; kept as a tombstone
  left = 3,    ///< left gracefully; kept as a tombstone
};

/// "alive", "suspect", "dead" or "left".
std::string_view to_string_view(member_state state);

/// True for states whose member takes part (is probed, gossiped to).
constexpr bool is_live(member_state state) noexcept {
  return state == member_state::alive || state == member_state::suspect;
}

/// Key-value labels a member gossips about itself ("role" = "worker").
using tag_map = std::map<std::string, std::string>;

struct member {
  node_id id;
  /// Where the member receives gossip, "host:port".
  std::string address;
  /// Bumped only by the member itself, to refute suspicion or announce a
  /// change; a higher incarnation overrides everything said before.
  uint64_t incarnation = 0;
  member_state state = member_state::alive;
  tag_map tags;

  friend bool operator==(const member&, const member&) = default;
};

/// True if what `a` says about a member overrides what `b` says: a higher
/// incarnation, or the same incarnation and a later state (alive < suspect
/// < dead < left), the precedence of SWIM's update rules.
constexpr bool supersedes(uint64_t a_incarnation, member_state a_state,
                          uint64_t b_incarnation, member_state b_state) noexcept {
  if (a_incarnation != b_incarnation)
    return a_incarnation > b_incarnation;
  return static_cast<uint8_t>(a_state) > static_cast<uint8_t>(b_state);
}

} // namespace rpcnet
