#include "connection_lifecycle.hpp"

#include <rpcnet/transport/error.hpp>

namespace rpcnet {

connection_lifecycle::connection_lifecycle(reconnect_policy policy, uint64_t seed)
  : policy_(policy), rng_(seed) {
}

connection_lifecycle::verdict connection_lifecycle::admit(clock::time_point now,
                                                          bool wait_for_ready) {
  switch (phase_) {
    case phase::ready:
      return verdict::send;
    case phase::connecting:
      return verdict::hold;
    case phase::idle:
      begin_dial();
      return verdict::dial_and_hold;
    case phase::backing_off:
      if (dial_due(now)) {
        begin_dial();
        return verdict::dial_and_hold;
      }
      return wait_for_ready ? verdict::hold : verdict::refuse;
    case phase::closed:
      break;
  }
  return verdict::refuse;
}

caf::error connection_lifecycle::refusal(clock::time_point now) const {
  if (phase_ == phase::closed)
    return last_failure_;
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_dial_ - now).count();
  // The failure's own code: a certificate that does not verify is still
  // `tls`, a bad setting `config`, while the client waits to try again.
  return make_error(code_of(last_failure_), "not connected (" + message_of(last_failure_)
                                         + "); the next dial is in "
                                         + std::to_string(std::max<int64_t>(wait, 0)) + " ms");
}

void connection_lifecycle::on_ready() {
  if (phase_ != phase::connecting)
    return;
  phase_ = phase::ready;
  failures_ = 0;
}

bool connection_lifecycle::on_closed(caf::error why, clock::time_point now) {
  if (phase_ != phase::ready && phase_ != phase::connecting)
    return false;
  auto was_ready = phase_ == phase::ready;
  last_failure_ = std::move(why);
  // Without reconnecting, whatever ends a connection ends it for good.
  if (!policy_.enabled)
    phase_ = phase::closed;
  else if (was_ready)
    phase_ = phase::idle;
  else
    backoff(now);
  return was_ready;
}

void connection_lifecycle::backoff(clock::time_point now) {
  phase_ = phase::backing_off;
  ++failures_;
  // The top 53 bits of a draw as a double in [0, 1).
  auto unit = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  next_dial_ = now + policy_.backoff_at(failures_, unit);
}

bool connection_lifecycle::dial_due(clock::time_point now) const noexcept {
  return phase_ == phase::backing_off && now >= next_dial_;
}

void connection_lifecycle::begin_dial() noexcept {
  phase_ = phase::connecting;
  ++redials_;
}

void connection_lifecycle::close(caf::error why) {
  phase_ = phase::closed;
  last_failure_ = std::move(why);
}

} // namespace rpcnet
