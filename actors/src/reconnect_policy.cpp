// reconnect_policy's builders and its backoff arithmetic.
#include <rpcnet/actors/reconnect_policy.hpp>

#include <algorithm>
#include <cmath>

#include <rpcnet/transport/configuration.hpp>

namespace rpcnet {

using std::chrono::milliseconds;

reconnect_policy reconnect_policy::disabled() {
  reconnect_policy policy;
  policy.enabled = false;
  return policy;
}

reconnect_policy reconnect_policy::with_backoff(milliseconds initial, milliseconds max) const {
  return copy_with(*this, [&](auto& c) {
    c.initial_backoff = initial;
    c.max_backoff = max;
  });
}

reconnect_policy reconnect_policy::with_multiplier(double m) const {
  return copy_with(*this, [&](auto& c) { c.multiplier = m; });
}

reconnect_policy reconnect_policy::with_jitter(double j) const {
  return copy_with(*this, [&](auto& c) { c.jitter = j; });
}

caf::error reconnect_policy::validate() const {
  config_errors errors{"reconnect_policy"};
  errors.require(initial_backoff > milliseconds::zero(), "initial_backoff must be positive");
  errors.require(max_backoff >= initial_backoff, "max_backoff must be at least initial_backoff");
  errors.require(std::isfinite(multiplier) && multiplier >= 1.0 && multiplier <= 10.0,
                 "multiplier must be 1 to 10");
  errors.require(std::isfinite(jitter) && jitter >= 0.0 && jitter <= 1.0,
                 "jitter must be 0 to 1");
  return errors.result();
}

milliseconds reconnect_policy::backoff_at(uint32_t failures, double unit) const {
  // initial * multiplier^(failures-1) in doubles, so that many failures
  // cannot overflow; capped before the jitter so the cap stays a mean.
  auto exponent = static_cast<double>(std::min<uint32_t>(failures == 0 ? 0 : failures - 1, 200));
  auto grown = static_cast<double>(initial_backoff.count()) * std::pow(multiplier, exponent);
  auto mean = std::min(grown, static_cast<double>(max_backoff.count()));
  auto spread = 1.0 + jitter * (2.0 * std::clamp(unit, 0.0, 1.0) - 1.0);
  return milliseconds{std::max<milliseconds::rep>(1, std::llround(mean * spread))};
}

} // namespace rpcnet
