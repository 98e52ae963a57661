// Where a client's connection stands across losses and re-dials, and what
// that means for a call arriving now: send it, hold it until a dial
// completes, dial and hold it, or refuse it. No I/O: the client
// connection actor dials and keeps the held calls; this decides when.
//
// A connection that was up and is lost goes idle and is dialled again by
// the next call at once, as gRPC's channels do; a dial that fails starts a
// backoff (reconnect_policy), during which calls fail at once unless they
// asked to wait for the server, and nothing dials until the backoff ends
// and a call still wants the connection. So a dead server costs one dial
// per backoff at most, never a loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

#include <caf/error.hpp>

#include <rpcnet/actors/reconnect_policy.hpp>

namespace rpcnet {

class connection_lifecycle {
public:
  using clock = std::chrono::steady_clock;

  enum class phase {
    connecting,  ///< a dial is under way
    ready,       ///< the handshake completed; calls go out
    idle,        ///< the connection was lost; the next call dials
    backing_off, ///< a dial failed; the next waits for next_dial()
    closed,      ///< closed for good (by the owner, its endpoint is gone, or
                 ///< lost with reconnecting disabled)
  };

  /// What to do with a call that arrives.
  enum class verdict {
    send,          ///< on the connection, now
    hold,          ///< until the dial under way (or due) completes
    dial_and_hold, ///< dial now, and hold it until that completes
    refuse,        ///< fail it with refusal()
  };

  /// Starts connecting (the first dial is the owner's). `seed` seeds the
  /// jitter's draws.
  connection_lifecycle(reconnect_policy policy, uint64_t seed);

  phase current() const noexcept {
    return phase_;
  }

  /// A call arrives at `now`; `wait_for_ready` calls wait out a backoff
  /// instead of failing. A dial_and_hold verdict has begun the dial.
  verdict admit(clock::time_point now, bool wait_for_ready);

  /// Why a call is refused at `now`: the closing error, or the last
  /// failure's code with its reason and when the next dial may be.
  caf::error refusal(clock::time_point now) const;

  /// The handshake of the dial under way completed.
  void on_ready();

  /// The connection (or the dial under way) ended with `why`. Returns true
  /// when it had been ready: a loss, not a failed dial.
  bool on_closed(caf::error why, clock::time_point now);

  /// True when a backoff has run out: a held call may dial now.
  bool dial_due(clock::time_point now) const noexcept;

  /// Begins a dial that dial_due() allowed.
  void begin_dial() noexcept;

  /// When the backoff ends (valid while backing_off).
  clock::time_point next_dial() const noexcept {
    return next_dial_;
  }

  /// Closes for good: every later call is refused with `why`.
  void close(caf::error why);

  /// Dials after the first one: for counting reconnects.
  uint64_t redials() const noexcept {
    return redials_;
  }

private:
  /// A dial failed at `now`: wait before the next.
  void backoff(clock::time_point now);

  reconnect_policy policy_;
  std::mt19937_64 rng_;
  phase phase_ = phase::connecting;
  /// Failed dials in a row.
  uint32_t failures_ = 0;
  uint64_t redials_ = 0;
  clock::time_point next_dial_{};
  caf::error last_failure_;
};

} // namespace rpcnet
