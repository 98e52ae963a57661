// The messages of SWIM gossip as C++ values: probes (ping, ping_req, ack,
// nack), membership updates (alive, suspect, dead, leave) and push-pull
// state. A datagram carries one sender and one or more messages, which is
// how updates ride piggyback on probes. Their bytes are in gossip_codec.hpp
// and docs/PROTOCOL.md ("Gossip").
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <rpcnet/membership/member.hpp>
#include <rpcnet/membership/node_id.hpp>

namespace rpcnet::gossip {

/// Are you there? Answered with ack(seq) by `target` only, so that a node
/// restarted at the same address under a new id does not answer for the old.
struct ping {
  uint32_t seq = 0;
  node_id target;
  friend bool operator==(const ping&, const ping&) = default;
};

/// Please ping member `target` for me; relay its ack (seq is the
/// requester's), or send a nack if it stays silent. The relay pings the
/// target at the address it knows itself, so a ping-req cannot aim its
/// ping at an address of the requester's choosing.
struct ping_req {
  uint32_t seq = 0;
  node_id target;
  friend bool operator==(const ping_req&, const ping_req&) = default;
};

/// The answer to ping(seq), directly or relayed.
struct ack {
  uint32_t seq = 0;
  friend bool operator==(const ack&, const ack&) = default;
};

/// A relay of ping_req(seq) heard nothing from the target. Tells the
/// requester that its own links work (Lifeguard's local health).
struct nack {
  uint32_t seq = 0;
  friend bool operator==(const nack&, const nack&) = default;
};

/// Member `id` is alive at `incarnation`, reachable at `address`, with tags.
struct alive {
  node_id id;
  uint64_t incarnation = 0;
  std::string address;
  tag_map tags;
  friend bool operator==(const alive&, const alive&) = default;
};

/// `from` suspects member `id` at `incarnation`. Distinct `from`s of the same
/// suspicion are Lifeguard's independent confirmations.
struct suspect {
  node_id id;
  uint64_t incarnation = 0;
  node_id from;
  friend bool operator==(const suspect&, const suspect&) = default;
};

/// `from` declared member `id` failed at `incarnation`.
struct dead {
  node_id id;
  uint64_t incarnation = 0;
  node_id from;
  friend bool operator==(const dead&, const dead&) = default;
};

/// Member `id` left the cluster gracefully at `incarnation`.
struct leave {
  node_id id;
  uint64_t incarnation = 0;
  friend bool operator==(const leave&, const leave&) = default;
};

/// The sender's members whose ids lie in [first, last], ascending by id: all
/// of them, so a receiver also learns which members the sender lacks. A full
/// state is [node_id::min(), node_id::max()], cut into parts of adjacent
/// ranges when it does not fit one datagram. With `reply_requested` the
/// receiver answers with its members in the range that the part lacks or
/// holds in an older version.
struct push_pull {
  bool reply_requested = false;
  node_id first = node_id::min();
  node_id last = node_id::max();
  std::vector<member> members;
  friend bool operator==(const push_pull&, const push_pull&) = default;
};

using message
  = std::variant<ping, ping_req, ack, nack, alive, suspect, dead, leave, push_pull>;

/// The type byte of each message on the wire (never renumber).
enum class message_type : uint8_t {
  ping = 1,
  ping_req = 2,
  ack = 3,
  nack = 4,
  alive = 5,
  suspect = 6,
  dead = 7,
  leave = 8,
  push_pull = 9,
};

/// The type byte of `msg`.
inline message_type type_of(const message& msg) {
  return static_cast<message_type>(msg.index() + 1);
}

/// One UDP datagram of gossip: who sent it and what it says.
struct datagram {
  node_id sender;
  std::vector<message> messages;
  friend bool operator==(const datagram&, const datagram&) = default;
};

} // namespace rpcnet::gossip
