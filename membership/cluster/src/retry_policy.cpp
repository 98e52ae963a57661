// Retry classification and backoff delays.
#include <rpcnet/cluster/retry_policy.hpp>

#include <algorithm>
#include <cmath>

#include <rpcnet/transport/configuration.hpp>
#include <rpcnet/transport/error.hpp>

namespace rpcnet {

retry_policy retry_policy::with_max_attempts(uint32_t attempts) const {
  return copy_with(*this, [&](auto& c) { c.max_attempts = attempts; });
}

retry_policy retry_policy::with_base_delay(duration delay) const {
  return copy_with(*this, [&](auto& c) { c.base_delay = delay; });
}

retry_policy retry_policy::with_max_delay(duration delay) const {
  return copy_with(*this, [&](auto& c) { c.max_delay = delay; });
}

retry_policy retry_policy::with_jitter(backoff_jitter spread) const {
  return copy_with(*this, [&](auto& c) { c.jitter = spread; });
}

caf::error retry_policy::validate() const {
  config_errors errors{"retry_policy"};
  errors.require(max_attempts > 0, "max_attempts must be at least 1 (the first attempt)");
  errors.require(base_delay >= duration::zero(), "base_delay must not be negative");
  errors.require(max_delay >= base_delay, "max_delay must not be shorter than base_delay");
  errors.require(jitter == backoff_jitter::none || jitter == backoff_jitter::full
                   || jitter == backoff_jitter::decorrelated,
                 "jitter is not a backoff_jitter");
  return errors.result();
}

bool is_safe_to_retry(const caf::error& err, request_progress progress) {
  if (!err)
    return false;
  switch (code_of(err)) {
    case error::connection:
    case error::overloaded: return true;
    case error::timeout: return progress == request_progress::not_sent;
    default: return false;
  }
}

bool retry_policy::should_retry(const caf::error& err, request_progress progress,
                                uint32_t attempt) const {
  return attempt < max_attempts && is_safe_to_retry(err, progress);
}

duration retry_policy::backoff_at(uint32_t retry, duration previous, double unit) const {
  auto cap = std::max(max_delay, duration::zero());
  auto base = std::clamp(base_delay, duration::zero(), cap);
  unit = std::clamp(unit, 0.0, 1.0);
  auto between = [&](duration low, duration high) {
    auto span = static_cast<double>((high - low).count());
    return std::min(cap, low + duration{static_cast<duration::rep>(std::floor(span * unit))});
  };
  if (jitter == backoff_jitter::decorrelated) {
    // sleep = min(cap, uniform(base, previous * 3)); the first from base.
    auto prev = retry <= 1 ? base : std::clamp(previous, base, cap);
    return between(base, prev > cap / 3 ? cap : prev * 3);
  }
  // base * 2^(retry-1), computed in doubles so large retries cannot
  // overflow, then capped.
  auto exponent = std::min<uint32_t>(retry == 0 ? 0 : retry - 1, 62);
  auto grown = static_cast<double>(base.count()) * std::ldexp(1.0, static_cast<int>(exponent));
  auto ceiling = grown >= static_cast<double>(cap.count())
                   ? cap
                   : duration{static_cast<duration::rep>(grown)};
  if (jitter == backoff_jitter::none)
    return ceiling;
  return between(duration::zero(), ceiling);
}

} // namespace rpcnet
