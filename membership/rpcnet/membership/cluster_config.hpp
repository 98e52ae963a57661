// The settings of one node's cluster membership, mirroring ClusterConfig of
// the Rust RpcNet library whose design rpcnet takes: where
// gossip is received and what address others use, the SWIM and Phi Accrual
// settings (swim_config), this node's tags, the cluster keys, and how join
// and leave behave. Written as every rpcnet configuration is
// (configuration.hpp): builders return a copy so settings read as one
// expression, and validate() names every bad field.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include <rpcnet/membership/member.hpp>
#include <rpcnet/transport/metrics_registry.hpp>
#include <rpcnet/membership/swim_config.hpp>

namespace rpcnet {

struct cluster_config {
  // -- settings ---------------------------------------------------------------

  /// Where gossip is received when the node has a gossip port of its own
  /// (ignored when it shares its RPC server's port), "host:port": an IP
  /// literal or a name such as "localhost:7946".
  std::string bind_address = "127.0.0.1:0";
  /// The address other members send gossip to. Empty: the bound address,
  /// which must not then be a wildcard (0.0.0.0 or ::). A name is resolved
  /// once, when the membership starts, and the node gossips the address
  /// it found: members never resolve each other's names.
  std::string advertise_address;
  swim_config swim;
  /// Gossiped with this node; the Rust RpcNet's role/label tags go here.
  tag_map tags;
  /// AES-GCM keys (16, 24 or 32 bytes each). The first seals every datagram
  /// sent; any of them opens one received. Empty: gossip is not encrypted.
  std::vector<std::vector<uint8_t>> cluster_keys;
  /// With keys set, also accept unsealed gossip: only while a key is being
  /// rolled out to a cluster that ran without one.
  bool accept_plaintext = false;
  /// join() gives up after this long without an answer from any seed.
  duration join_timeout = std::chrono::seconds{10};
  /// join() asks the seeds again this often until one answers.
  duration join_retry_interval = std::chrono::milliseconds{500};
  /// leave() gossips the departure for this long before it returns: two
  /// broadcast rounds reach every member of a small cluster twice over.
  duration leave_propagation = std::chrono::milliseconds{400};
  /// Received datagrams waiting for the membership actor at most; beyond
  /// this a flood is dropped (and counted) rather than queued without bound.
  size_t max_pending_datagrams = 4096;
  /// Where membership is counted at each scrape (members by state, phi of
  /// each live member, suspicions, refutations, probes, gossip bytes and
  /// refusals); none: nowhere.
  std::shared_ptr<metrics_registry> metrics;

  // -- builders ---------------------------------------------------------------

  [[nodiscard]] cluster_config with_bind_address(std::string address) const;
  [[nodiscard]] cluster_config with_advertise_address(std::string address) const;
  [[nodiscard]] cluster_config with_swim(swim_config settings) const;
  /// Shortcuts into `swim`, for the Rust RpcNet's ClusterConfig settings.
  [[nodiscard]] cluster_config with_gossip_interval(duration interval) const;
  [[nodiscard]] cluster_config with_probe_timeout(duration timeout) const;
  [[nodiscard]] cluster_config with_indirect_probes(unsigned count) const;
  [[nodiscard]] cluster_config with_suspicion_timeout(duration timeout) const;
  [[nodiscard]] cluster_config with_gossip_fanout(unsigned fanout) const;
  [[nodiscard]] cluster_config with_health_check(health_check_config health) const;
  /// Adds (or replaces) one tag.
  [[nodiscard]] cluster_config with_tag(std::string key, std::string value) const;
  /// Adds a key; the first one added seals.
  [[nodiscard]] cluster_config with_cluster_key(std::vector<uint8_t> key) const;
  [[nodiscard]] cluster_config with_accept_plaintext(bool accept) const;
  [[nodiscard]] cluster_config with_join_timeout(duration timeout) const;
  [[nodiscard]] cluster_config with_join_retry_interval(duration interval) const;
  [[nodiscard]] cluster_config with_leave_propagation(duration propagation) const;
  [[nodiscard]] cluster_config with_max_pending_datagrams(size_t datagrams) const;

  // -- validation -------------------------------------------------------------

  /// No error, or one error::config naming every bad field, the swim
  /// settings' included ("swim.gossip_interval must be positive").
  caf::error validate() const;
};

} // namespace rpcnet
