// Builders and validation of cluster_config.
#include <rpcnet/membership/cluster_config.hpp>

#include "gossip_codec.hpp"
#include <rpcnet/transport/address_resolver.hpp>
#include <rpcnet/transport/configuration.hpp>

namespace rpcnet {

cluster_config cluster_config::with_bind_address(std::string address) const {
  return copy_with(*this, [&](auto& c) { c.bind_address = std::move(address); });
}

cluster_config cluster_config::with_advertise_address(std::string address) const {
  return copy_with(*this, [&](auto& c) { c.advertise_address = std::move(address); });
}

cluster_config cluster_config::with_swim(swim_config settings) const {
  return copy_with(*this, [&](auto& c) { c.swim = std::move(settings); });
}

cluster_config cluster_config::with_gossip_interval(duration interval) const {
  return copy_with(*this, [&](auto& c) { c.swim.gossip_interval = interval; });
}

cluster_config cluster_config::with_probe_timeout(duration timeout) const {
  return copy_with(*this, [&](auto& c) { c.swim.probe_timeout = timeout; });
}

cluster_config cluster_config::with_indirect_probes(unsigned count) const {
  return copy_with(*this, [&](auto& c) { c.swim.indirect_probes = count; });
}

cluster_config cluster_config::with_suspicion_timeout(duration timeout) const {
  return copy_with(*this, [&](auto& c) { c.swim.suspicion_timeout = timeout; });
}

cluster_config cluster_config::with_gossip_fanout(unsigned fanout) const {
  return copy_with(*this, [&](auto& c) { c.swim.gossip_fanout = fanout; });
}

cluster_config cluster_config::with_health_check(health_check_config health) const {
  return copy_with(*this, [&](auto& c) { c.swim.health = health; });
}

cluster_config cluster_config::with_tag(std::string key, std::string value) const {
  return copy_with(*this, [&](auto& c) { c.tags[std::move(key)] = std::move(value); });
}

cluster_config cluster_config::with_cluster_key(std::vector<uint8_t> key) const {
  return copy_with(*this, [&](auto& c) { c.cluster_keys.push_back(std::move(key)); });
}

cluster_config cluster_config::with_accept_plaintext(bool accept) const {
  return copy_with(*this, [&](auto& c) { c.accept_plaintext = accept; });
}

cluster_config cluster_config::with_join_timeout(duration timeout) const {
  return copy_with(*this, [&](auto& c) { c.join_timeout = timeout; });
}

cluster_config cluster_config::with_join_retry_interval(duration interval) const {
  return copy_with(*this, [&](auto& c) { c.join_retry_interval = interval; });
}

cluster_config cluster_config::with_leave_propagation(duration propagation) const {
  return copy_with(*this, [&](auto& c) { c.leave_propagation = propagation; });
}

cluster_config cluster_config::with_max_pending_datagrams(size_t datagrams) const {
  return copy_with(*this, [&](auto& c) { c.max_pending_datagrams = datagrams; });
}

caf::error cluster_config::validate() const {
  config_errors errors{"cluster_config"};
  errors.nest("swim", swim.validate());
  // Syntax only: names are resolved when the membership starts.
  errors.require_parsed("bind_address", parse_host_port(bind_address));
  if (!advertise_address.empty())
    errors.require_parsed("advertise_address", parse_host_port(advertise_address));
  errors.require(gossip::valid_tags(tags),
                 "tags break the gossip limits (at most 255 pairs, keys of 1-255 bytes, "
                 "values of at most 255 bytes, 512 bytes in all, printable UTF-8)");
  for (const auto& key : cluster_keys)
    errors.require(key.size() == 16 || key.size() == 24 || key.size() == 32,
                   "cluster_keys: a key must be 16, 24 or 32 bytes, not "
                     + std::to_string(key.size()));
  errors.require(join_timeout > duration::zero(), "join_timeout must be positive");
  errors.require(join_retry_interval > duration::zero(), "join_retry_interval must be positive");
  errors.require(leave_propagation >= duration::zero(), "leave_propagation must not be negative");
  errors.require(max_pending_datagrams > 0, "max_pending_datagrams must be positive");
  return errors.result();
}

} // namespace rpcnet
