// The failure cycle's transitions: warn at healthy - warning, fail at
// healthy, recover at healthy + failed, which starts the next cycle.
#include "failure_schedule.hpp"

#include <rpcnet/transport/error.hpp>

namespace rpcnet::cli {

caf::expected<failure_schedule> failure_schedule::make(failure_phases phases) {
  using std::chrono::milliseconds;
  if (phases.healthy <= milliseconds::zero() || phases.failed <= milliseconds::zero())
    return make_error(error::config, "failure simulation: healthy and failed times must be > 0");
  if (phases.warning < milliseconds::zero() || phases.warning > phases.healthy)
    return make_error(error::config,
                      "failure simulation: the warning must come within the healthy time");
  return failure_schedule{phases};
}

scheduled_transition failure_schedule::transition(uint64_t n) const noexcept {
  bool warns = phases_.warning.count() > 0;
  uint64_t per_cycle = warns ? 3 : 2;
  uint64_t cycle = n / per_cycle;
  uint64_t index = n % per_cycle;
  auto start = (phases_.healthy + phases_.failed) * static_cast<int64_t>(cycle);
  if (!warns)
    ++index; // no warn: index 0 is the failure
  switch (index) {
    case 0:
      return {start + phases_.healthy - phases_.warning, failure_transition::warn, cycle + 1};
    case 1:
      return {start + phases_.healthy, failure_transition::fail, cycle + 1};
    default:
      return {start + phases_.healthy + phases_.failed, failure_transition::recover, cycle + 1};
  }
}

bool failure_schedule::failing_at(std::chrono::milliseconds elapsed) const noexcept {
  if (elapsed < std::chrono::milliseconds::zero())
    return false;
  auto offset = elapsed % (phases_.healthy + phases_.failed);
  return offset >= phases_.healthy;
}

} // namespace rpcnet::cli
