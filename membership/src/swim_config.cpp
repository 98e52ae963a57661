// Builders and validation of the SWIM settings.
#include <rpcnet/membership/swim_config.hpp>

#include <algorithm>
#include <cmath>

#include <rpcnet/transport/configuration.hpp>

namespace rpcnet {

// -- health_check_config ------------------------------------------------------

health_check_config health_check_config::with_phi_threshold(double threshold) const {
  return copy_with(*this, [&](auto& c) { c.phi_threshold = threshold; });
}

health_check_config health_check_config::with_history_size(size_t intervals) const {
  return copy_with(*this, [&](auto& c) { c.history_size = intervals; });
}

health_check_config health_check_config::with_min_std_deviation(duration deviation) const {
  return copy_with(*this, [&](auto& c) { c.min_std_deviation = deviation; });
}

health_check_config health_check_config::with_acceptable_pause(duration pause) const {
  return copy_with(*this, [&](auto& c) { c.acceptable_pause = pause; });
}

health_check_config health_check_config::with_min_samples(size_t intervals) const {
  return copy_with(*this, [&](auto& c) { c.min_samples = intervals; });
}

caf::error health_check_config::validate() const {
  config_errors errors{"health_check_config"};
  errors.require(phi_threshold > 0, "phi_threshold must be positive");
  errors.require(history_size > 0, "history_size must be at least 1");
  errors.require(min_std_deviation >= duration::zero(),
                 "min_std_deviation must not be negative");
  errors.require(acceptable_pause >= duration::zero(), "acceptable_pause must not be negative");
  return errors.result();
}

// -- lifeguard_config ---------------------------------------------------------

lifeguard_config lifeguard_config::with_local_health_awareness(bool on) const {
  return copy_with(*this, [&](auto& c) { c.local_health_awareness = on; });
}

lifeguard_config lifeguard_config::with_dynamic_suspicion(bool on) const {
  return copy_with(*this, [&](auto& c) { c.dynamic_suspicion = on; });
}

lifeguard_config lifeguard_config::with_buddy_system(bool on) const {
  return copy_with(*this, [&](auto& c) { c.buddy_system = on; });
}

lifeguard_config lifeguard_config::with_max_awareness(unsigned scores) const {
  return copy_with(*this, [&](auto& c) { c.max_awareness = scores; });
}

lifeguard_config lifeguard_config::with_suspicion_min_divisor(unsigned divisor) const {
  return copy_with(*this, [&](auto& c) { c.suspicion_min_divisor = divisor; });
}

lifeguard_config lifeguard_config::with_suspicion_confirmations(unsigned confirmations) const {
  return copy_with(*this, [&](auto& c) { c.suspicion_confirmations = confirmations; });
}

caf::error lifeguard_config::validate() const {
  config_errors errors{"lifeguard_config"};
  errors.require(max_awareness > 0, "max_awareness must be at least 1");
  errors.require(suspicion_min_divisor > 0, "suspicion_min_divisor must be at least 1");
  return errors.result();
}

// -- gossip_limits ------------------------------------------------------------

gossip_limits gossip_limits::with_max_members(size_t members) const {
  return copy_with(*this, [&](auto& c) { c.max_members = members; });
}

gossip_limits gossip_limits::with_max_candidates(size_t candidates) const {
  return copy_with(*this, [&](auto& c) { c.max_candidates = candidates; });
}

gossip_limits gossip_limits::with_max_introductions_per_source(size_t candidates) const {
  return copy_with(*this, [&](auto& c) { c.max_introductions_per_source = candidates; });
}

gossip_limits gossip_limits::with_verification_pings(unsigned pings) const {
  return copy_with(*this, [&](auto& c) { c.verification_pings = pings; });
}

gossip_limits gossip_limits::with_max_incarnation_jump(uint64_t jump) const {
  return copy_with(*this, [&](auto& c) { c.max_incarnation_jump = jump; });
}

gossip_limits gossip_limits::with_max_deferred_replies(size_t requests) const {
  return copy_with(*this, [&](auto& c) { c.max_deferred_replies = requests; });
}

caf::error gossip_limits::validate() const {
  config_errors errors{"gossip_limits"};
  errors.require(max_members > 0, "max_members must be at least 1");
  errors.require(max_candidates > 0, "max_candidates must be at least 1");
  errors.require(max_introductions_per_source > 0,
                 "max_introductions_per_source must be at least 1");
  errors.require(verification_pings > 0, "verification_pings must be at least 1");
  return errors.result();
}

// -- swim_config --------------------------------------------------------------

swim_config swim_config::with_gossip_interval(duration interval) const {
  return copy_with(*this, [&](auto& c) { c.gossip_interval = interval; });
}

swim_config swim_config::with_probe_timeout(duration timeout) const {
  return copy_with(*this, [&](auto& c) { c.probe_timeout = timeout; });
}

swim_config swim_config::with_indirect_probes(unsigned count) const {
  return copy_with(*this, [&](auto& c) { c.indirect_probes = count; });
}

swim_config swim_config::with_suspicion_timeout(duration timeout) const {
  return copy_with(*this, [&](auto& c) { c.suspicion_timeout = timeout; });
}

swim_config swim_config::with_gossip_fanout(unsigned fanout) const {
  return copy_with(*this, [&](auto& c) { c.gossip_fanout = fanout; });
}

swim_config swim_config::with_broadcast_interval(duration interval) const {
  return copy_with(*this, [&](auto& c) { c.broadcast_interval = interval; });
}

swim_config swim_config::with_push_pull_cycles(unsigned cycles) const {
  return copy_with(*this, [&](auto& c) { c.push_pull_cycles = cycles; });
}

swim_config swim_config::with_scale_push_pull(bool on) const {
  return copy_with(*this, [&](auto& c) { c.scale_push_pull = on; });
}

swim_config swim_config::with_retransmit_multiplier(unsigned multiplier) const {
  return copy_with(*this, [&](auto& c) { c.retransmit_multiplier = multiplier; });
}

swim_config swim_config::with_tombstone_timeout(duration timeout) const {
  return copy_with(*this, [&](auto& c) { c.tombstone_timeout = timeout; });
}

swim_config swim_config::with_partition_window(duration window) const {
  return copy_with(*this, [&](auto& c) { c.partition_window = window; });
}

swim_config swim_config::with_partition_min_members(size_t members) const {
  return copy_with(*this, [&](auto& c) { c.partition_min_members = members; });
}

swim_config swim_config::with_health(health_check_config settings) const {
  return copy_with(*this, [&](auto& c) { c.health = settings; });
}

swim_config swim_config::with_lifeguard(lifeguard_config settings) const {
  return copy_with(*this, [&](auto& c) { c.lifeguard = settings; });
}

swim_config swim_config::with_limits(gossip_limits settings) const {
  return copy_with(*this, [&](auto& c) { c.limits = settings; });
}

duration swim_config::longest_suspicion(size_t members) const noexcept {
  auto scale = std::max(1.0, std::log10(static_cast<double>(members)));
  return std::chrono::round<duration>(suspicion_timeout * scale);
}

duration swim_config::shortest_suspicion(size_t members) const noexcept {
  auto longest = longest_suspicion(members);
  return lifeguard.dynamic_suspicion ? longest / lifeguard.suspicion_min_divisor : longest;
}

caf::error swim_config::validate() const {
  config_errors errors{"swim_config"};
  errors.require(gossip_interval > duration::zero(), "gossip_interval must be positive");
  errors.require(probe_timeout > duration::zero() && probe_timeout < gossip_interval,
                 "probe_timeout must be positive and shorter than gossip_interval");
  errors.require(suspicion_timeout > duration::zero(), "suspicion_timeout must be positive");
  errors.require(broadcast_interval > duration::zero(), "broadcast_interval must be positive");
  errors.require(push_pull_cycles > 0, "push_pull_cycles must be at least 1");
  errors.require(retransmit_multiplier > 0, "retransmit_multiplier must be at least 1");
  errors.require(tombstone_timeout >= duration::zero(), "tombstone_timeout must not be negative");
  errors.require(partition_window >= duration::zero(), "partition_window must not be negative");
  errors.nest("health", health.validate());
  errors.nest("lifeguard", lifeguard.validate());
  errors.nest("limits", limits.validate());
  return errors.result();
}

} // namespace rpcnet
