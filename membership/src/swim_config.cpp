// Validation of SWIM settings.
#include <rpcnet/membership/swim_config.hpp>

#include <algorithm>
#include <cmath>

#include <string>

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

caf::error swim_config::validate() const {
  auto bad = [](std::string what) { return make_error(error::config, std::move(what)); };
  if (gossip_interval <= duration::zero())
    return bad("gossip_interval must be positive");
  if (probe_timeout <= duration::zero() || probe_timeout >= gossip_interval)
    return bad("probe_timeout must be positive and shorter than gossip_interval");
  if (suspicion_timeout <= duration::zero())
    return bad("suspicion_timeout must be positive");
  if (broadcast_interval <= duration::zero())
    return bad("broadcast_interval must be positive");
  if (push_pull_cycles == 0)
    return bad("push_pull_cycles must be at least 1");
  if (retransmit_multiplier == 0)
    return bad("retransmit_multiplier must be at least 1");
  if (health.phi_threshold <= 0)
    return bad("phi_threshold must be positive");
  if (health.history_size == 0)
    return bad("history_size must be at least 1");
  if (health.min_std_deviation < duration::zero() || health.acceptable_pause < duration::zero())
    return bad("min_std_deviation and acceptable_pause must not be negative");
  if (lifeguard.max_awareness == 0 || lifeguard.suspicion_min_divisor == 0)
    return bad("max_awareness and suspicion_min_divisor must be at least 1");
  if (limits.max_members == 0 || limits.max_candidates == 0
      || limits.max_introductions_per_source == 0 || limits.verification_pings == 0)
    return bad("max_members, max_candidates, max_introductions_per_source and "
               "verification_pings must be at least 1");
  return {};
}

duration swim_config::longest_suspicion(size_t members) const noexcept {
  auto scale = std::max(1.0, std::log10(static_cast<double>(members)));
  return std::chrono::round<duration>(suspicion_timeout * scale);
}

duration swim_config::shortest_suspicion(size_t members) const noexcept {
  auto longest = longest_suspicion(members);
  return lifeguard.dynamic_suspicion ? longest / lifeguard.suspicion_min_divisor : longest;
}

} // namespace rpcnet
