// Builders and validation of cluster_config.
#include <rpcnet/membership/cluster_config.hpp>

#include "gossip_codec.hpp"
#include <rpcnet/transport/error.hpp>
#include <rpcnet/transport/socket_address.hpp>

namespace rpcnet {

namespace {

/// A copy of `cfg` with one change.
template <class Change>
cluster_config changed(const cluster_config& cfg, Change change) {
  auto result = cfg;
  change(result);
  return result;
}

caf::error bad(std::string what) {
  return make_error(error::config, std::move(what));
}

} // namespace

cluster_config cluster_config::with_bind_address(std::string address) const {
  return changed(*this, [&](auto& c) { c.bind_address = std::move(address); });
}

cluster_config cluster_config::with_advertise_address(std::string address) const {
  return changed(*this, [&](auto& c) { c.advertise_address = std::move(address); });
}

cluster_config cluster_config::with_gossip_interval(duration interval) const {
  return changed(*this, [&](auto& c) { c.swim.gossip_interval = interval; });
}

cluster_config cluster_config::with_probe_timeout(duration timeout) const {
  return changed(*this, [&](auto& c) { c.swim.probe_timeout = timeout; });
}

cluster_config cluster_config::with_indirect_probes(unsigned count) const {
  return changed(*this, [&](auto& c) { c.swim.indirect_probes = count; });
}

cluster_config cluster_config::with_suspicion_timeout(duration timeout) const {
  return changed(*this, [&](auto& c) { c.swim.suspicion_timeout = timeout; });
}

cluster_config cluster_config::with_gossip_fanout(unsigned fanout) const {
  return changed(*this, [&](auto& c) { c.swim.gossip_fanout = fanout; });
}

cluster_config cluster_config::with_health_check(health_check_config health) const {
  return changed(*this, [&](auto& c) { c.swim.health = health; });
}

cluster_config cluster_config::with_tag(std::string key, std::string value) const {
  return changed(*this, [&](auto& c) { c.tags[std::move(key)] = std::move(value); });
}

cluster_config cluster_config::with_cluster_key(std::vector<uint8_t> key) const {
  return changed(*this, [&](auto& c) { c.cluster_keys.push_back(std::move(key)); });
}

cluster_config cluster_config::with_join_timeout(duration timeout) const {
  return changed(*this, [&](auto& c) { c.join_timeout = timeout; });
}

caf::error cluster_config::validate() const {
  if (auto err = swim.validate())
    return err;
  if (!socket_address::parse(bind_address))
    return bad("invalid gossip bind address '" + bind_address
               + "' (expected a numeric host:port)");
  if (!advertise_address.empty() && !socket_address::parse(advertise_address))
    return bad("invalid advertise address '" + advertise_address
               + "' (expected a numeric host:port)");
  if (!gossip::valid_tags(tags))
    return bad("tags break the gossip limits (at most 255 pairs, keys of 1-255 bytes, "
               "values of at most 255 bytes, 512 bytes in all)");
  for (const auto& key : cluster_keys)
    if (key.size() != 16 && key.size() != 24 && key.size() != 32)
      return bad("a cluster key must be 16, 24 or 32 bytes, not "
                 + std::to_string(key.size()));
  if (join_timeout <= duration::zero() || join_retry_interval <= duration::zero())
    return bad("join_timeout and join_retry_interval must be positive");
  if (leave_propagation < duration::zero())
    return bad("leave_propagation must not be negative");
  if (max_pending_datagrams == 0)
    return bad("max_pending_datagrams must be positive");
  return {};
}

} // namespace rpcnet
