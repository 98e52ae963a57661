// The membership actor (ClusterMembership of the Rust RpcNet
// library whose design rpcnet takes): it runs one node's SWIM core on the
// steady clock, receives gossip from the transport thread of a UDP endpoint
// -- its RPC server's (one port per node) or one of its own -- sends what
// the core says to send, sealed with the cluster key when one is set, and
// sends every membership event to its subscribers. cluster_membership.hpp
// wraps it for code that is not an actor.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/typed_actor.hpp>

#include <rpcnet/membership/cluster_config.hpp>
#include <rpcnet/membership/gossip_stats.hpp>
#include <rpcnet/membership/member.hpp>
#include <rpcnet/membership/membership_event.hpp>

namespace rpcnet {

class endpoint;

using join_atom = caf::atom_constant<caf::atom("join")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using set_tag_atom = caf::atom_constant<caf::atom("settag")>;
using members_atom = caf::atom_constant<caf::atom("members")>;
using local_atom = caf::atom_constant<caf::atom("local")>;
using phi_atom = caf::atom_constant<caf::atom("phi")>;
using history_atom = caf::atom_constant<caf::atom("history")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("unsubscr")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using key_atom = caf::atom_constant<caf::atom("key")>;

/// What a key_atom request does to the cluster key ring (memberlist's
/// KeyManager): rotate with install everywhere, use everywhere, remove.
enum class key_operation : uint8_t {
  install = 0, ///< add a key that opens datagrams (the first one also seals)
  use = 1,     ///< seal with this key from now on (installing it if new)
  remove = 2,  ///< stop accepting this key (never the one in use)
};

/// What callers may send the membership actor. Subscribers are plain actors
/// that receive `membership_event` messages. (Its timers and the datagrams
/// from its endpoint are messages of its own that callers cannot send.)
/// A member's phi as this node's failure detector sees it now.
struct member_phi {
  node_id id;
  double phi = 0;
};

using membership_actor = caf::typed_actor<
  /// Joins through `seeds` (numeric "host:port": the actor resolves no
  /// names, as a look-up would block it; cluster_membership::join does),
  /// asking again until one answers; replies with how many other members
  /// this node knows, error::timeout after cluster_config::join_timeout, or
  /// error::config for a seed that is not a numeric address.
  caf::replies_to<join_atom, std::vector<std::string>>::with<uint64_t>,
  /// Announces a graceful departure and replies once it had time to spread.
  caf::replies_to<leave_atom>::with<caf::ok_atom>,
  /// Sets (or, with an empty value and erase = true, removes) a tag of this
  /// node; the change reaches every member as NodeUpdated.
  caf::replies_to<set_tag_atom, std::string, std::string, bool>::with<caf::ok_atom>,
  /// Every member this node knows, itself and tombstones included.
  caf::replies_to<members_atom>::with<std::vector<member>>,
  /// This node as it gossips itself.
  caf::replies_to<local_atom>::with<member>,
  /// This node's phi for a member (0 before two acks).
  caf::replies_to<phi_atom, node_id>::with<double>,
  /// Every live member's phi (itself left out), at one instant.
  caf::replies_to<phi_atom>::with<std::vector<member_phi>>,
  /// The member's recent ack intervals, oldest first.
  caf::replies_to<history_atom, node_id>::with<std::vector<duration>>,
  caf::replies_to<stats_atom>::with<gossip_stats>,
  /// Changes the key ring; error::config for a bad key or removing the
  /// key in use.
  caf::replies_to<key_atom, key_operation, std::vector<uint8_t>>::with<caf::ok_atom>,
  caf::reacts_to<subscribe_atom, caf::actor>,
  caf::reacts_to<unsubscribe_atom, caf::actor>>;

/// Spawns the membership actor of a node. With `shared` the node receives
/// gossip on that endpoint's port (its RPC server's); without it, on an
/// endpoint of its own bound to cfg.bind_address. Everything that can fail
/// fails here, before the actor exists: error::config when cfg.validate()
/// does, a bind or advertise address that is a name does not resolve
/// (both are resolved here, on the caller's thread), or the SWIM core
/// refuses the advertised address (gossip carries one canonical spelling,
/// "[::1]:7946"), error::io when the port cannot be bound.
caf::expected<membership_actor> spawn_membership(caf::actor_system& sys, cluster_config cfg,
                                                 std::shared_ptr<endpoint> shared = nullptr);

} // namespace rpcnet

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::member)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::key_operation)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<rpcnet::member>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::node_id)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<rpcnet::member_phi>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<rpcnet::duration>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::gossip_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rpcnet::membership_event)
