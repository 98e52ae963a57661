// The circuit breaker's state machine.
#include <rpcnet/cluster/circuit_breaker.hpp>

#include <rpcnet/transport/configuration.hpp>

namespace rpcnet {

circuit_breaker::settings
circuit_breaker::settings::with_failure_threshold(uint32_t failures) const {
  return copy_with(*this, [&](auto& c) { c.failure_threshold = failures; });
}

circuit_breaker::settings
circuit_breaker::settings::with_open_duration(duration pause) const {
  return copy_with(*this, [&](auto& c) { c.open_duration = pause; });
}

circuit_breaker::settings
circuit_breaker::settings::with_half_open_probes(uint32_t probes) const {
  return copy_with(*this, [&](auto& c) { c.half_open_probes = probes; });
}

caf::error circuit_breaker::settings::validate() const {
  config_errors errors{"circuit_breaker::settings"};
  errors.require(failure_threshold > 0, "failure_threshold must be at least 1");
  errors.require(open_duration >= duration::zero(), "open_duration must not be negative");
  errors.require(half_open_probes > 0, "half_open_probes must be at least 1");
  return errors.result();
}

circuit_breaker::circuit_breaker(settings cfg) : cfg_(cfg) {
  if (cfg_.failure_threshold == 0)
    cfg_.failure_threshold = 1;
  if (cfg_.half_open_probes == 0)
    cfg_.half_open_probes = 1;
}

circuit_breaker::state circuit_breaker::current(time_point now) const noexcept {
  if (state_ == state::open && now - opened_at_ >= cfg_.open_duration)
    return state::half_open;
  return state_;
}

void circuit_breaker::advance(time_point now) noexcept {
  if (state_ == state::open && current(now) == state::half_open) {
    state_ = state::half_open;
    probes_out_ = 0;
    probes_succeeded_ = 0;
  }
}

void circuit_breaker::open(time_point now) noexcept {
  state_ = state::open;
  opened_at_ = now;
  failures_ = 0;
}

bool circuit_breaker::allow(time_point now) {
  advance(now);
  switch (state_) {
    case state::closed: return true;
    case state::open: return false;
    case state::half_open:
      if (probes_out_ + probes_succeeded_ >= cfg_.half_open_probes)
        return false;
      ++probes_out_;
      return true;
  }
  return false;
}

void circuit_breaker::record_success(time_point now) {
  advance(now);
  switch (state_) {
    case state::closed: failures_ = 0; break;
    case state::open: break;
    case state::half_open:
      if (probes_out_ > 0)
        --probes_out_;
      if (++probes_succeeded_ >= cfg_.half_open_probes)
        state_ = state::closed;
      break;
  }
}

void circuit_breaker::record_failure(time_point now) {
  advance(now);
  switch (state_) {
    case state::closed:
      if (++failures_ >= cfg_.failure_threshold)
        open(now);
      break;
    case state::open: break;
    case state::half_open: open(now); break;
  }
}

void circuit_breaker::record_neutral(time_point now) {
  advance(now);
  if (state_ == state::half_open && probes_out_ > 0)
    --probes_out_;
}

std::string_view to_string_view(circuit_breaker::state s) {
  switch (s) {
    case circuit_breaker::state::closed: return "closed";
    case circuit_breaker::state::open: return "open";
    case circuit_breaker::state::half_open: return "half_open";
  }
  return "unknown";
}

} // namespace rpcnet
