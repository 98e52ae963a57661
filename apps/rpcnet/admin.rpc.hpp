// The admin service every node serves beside its own: the member table as
// the node sees it (`rpcnet members`), its gossip counters (`rpcnet stats`),
// and whether a key is its cluster key (asked by a worker whose join timed
// out), for operators, the tests and the worker.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <rpcnet/typed/service_definition.hpp>

namespace rpcnet_cli {

struct MembersRequest {
  bool include_tombstones;
};

struct MemberRow {
  std::string id;
  std::string address;
  std::string state;
  std::uint64_t incarnation;
  std::map<std::string, std::string> tags;
  double phi;
};

struct MemberTable {
  std::string node_id;
  std::vector<MemberRow> members;
};

struct StatsRequest {};

/// Membership's gossip_stats: datagrams and bytes in and out, and every
/// datagram refused by reason (membership/gossip_stats.hpp says each).
struct GossipCounters {
  std::uint64_t datagrams_received;
  std::uint64_t bytes_received;
  std::uint64_t datagrams_sent;
  std::uint64_t bytes_sent;
  std::uint64_t rejected_malformed;
  std::uint64_t rejected_unauthenticated;
  std::uint64_t rejected_forged;
  std::uint64_t dropped_backlog;
  std::uint64_t unsendable;
  /// What the SWIM core made of what decoded (membership's swim_counters).
  std::uint64_t refused_hearsay;
  std::uint64_t refused_implausible;
  std::uint64_t refused_ping_req;
  std::uint64_t unexpected_acks;
  std::uint64_t refused_introductions;
  std::uint64_t refused_full;
  std::uint64_t candidates_verified;
  std::uint64_t candidates_expired;
  std::uint64_t replies_deferred;
  std::uint64_t replies_refused;
};

/// A fixed text sealed with the asker's cluster key (empty: the asker has
/// none), so that the key itself never travels.
struct KeyProbe {
  std::vector<std::uint8_t> sealed;
};

struct KeyAnswer {
  /// This node seals its gossip.
  bool node_sealed;
  /// The probe opened with this node's key, or both have none.
  bool same_key;
};

struct AdminError : rpcnet::variants {
  struct Unavailable {};
};

struct Admin : rpcnet::service {
  rpcnet::result<MemberTable, AdminError> members(MembersRequest request);
  rpcnet::result<GossipCounters, AdminError> gossip_stats(StatsRequest request);
  rpcnet::result<KeyAnswer, AdminError> check_cluster_key(KeyProbe probe);
};

} // namespace rpcnet_cli
