// A circuit breaker for one worker: after enough consecutive failures it
// opens and calls stop going to the worker; after a pause it lets a few
// probe calls through (half-open); their successes close it, a failure
// opens it again. The cluster client keeps one per worker. It reads no
// clock: the caller passes the time into every call.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include <caf/error.hpp>

#include <rpcnet/membership/membership_time.hpp>

namespace rpcnet {

class circuit_breaker {
public:
  // -- member types -----------------------------------------------------------

  enum class state : uint8_t {
    closed,    ///< calls flow; failures are counted
    open,      ///< calls are refused until the open duration has passed
    half_open, ///< a limited number of probe calls may go
  };

  struct settings {
    /// Consecutive failures that open the circuit.
    uint32_t failure_threshold = 5;
    /// How long the circuit stays open before probing.
    duration open_duration = std::chrono::seconds{5};
    /// Probe calls allowed at once when half-open; that many successes
    /// close the circuit.
    uint32_t half_open_probes = 1;

    [[nodiscard]] settings with_failure_threshold(uint32_t failures) const;
    [[nodiscard]] settings with_open_duration(duration pause) const;
    [[nodiscard]] settings with_half_open_probes(uint32_t probes) const;

    /// No error, or one error::config naming every bad field
    /// (configuration.hpp). The breaker itself raises a 0 to 1.
    caf::error validate() const;
  };

  // -- constructors -----------------------------------------------------------

  circuit_breaker() : circuit_breaker(settings{}) {
  }

  explicit circuit_breaker(settings cfg);

  // -- calls ------------------------------------------------------------------

  /// Whether a call may go now. Closed: yes. Open: no, until the open
  /// duration has passed, then the circuit is half-open. Half-open: yes
  /// while fewer than half_open_probes probes are out, counting this one.
  bool allow(time_point now);

  /// A call that allow() let through succeeded: clears the failure count;
  /// when half-open, counts a successful probe and closes the circuit once
  /// half_open_probes probes succeeded. Ignored while open (a late answer
  /// from before the circuit opened).
  void record_success(time_point now);

  /// A call failed in a way that speaks against the worker (see
  /// retry_policy for which errors do): counts towards the threshold when
  /// closed; reopens the circuit at `now` when half-open. Ignored while
  /// open.
  void record_failure(time_point now);

  /// A call that allow() let through ended without a verdict (cancelled,
  /// or the handler's own error): frees its probe place when half-open.
  void record_neutral(time_point now);

  // -- properties -------------------------------------------------------------

  /// The state at `now` (open turns half-open once its time is up).
  state current(time_point now) const noexcept;

  uint32_t consecutive_failures() const noexcept {
    return failures_;
  }

  const settings& config() const noexcept {
    return cfg_;
  }

private:
  /// Moves from open to half-open when the open duration has passed.
  void advance(time_point now) noexcept;

  void open(time_point now) noexcept;

  // -- member variables -------------------------------------------------------

  settings cfg_;
  state state_ = state::closed;
  /// Consecutive failures while closed.
  uint32_t failures_ = 0;
  /// When the circuit last opened.
  time_point opened_at_;
  /// Probes out and probes that succeeded in this half-open period.
  uint32_t probes_out_ = 0;
  uint32_t probes_succeeded_ = 0;
};

/// "closed", "open" or "half_open".
std::string_view to_string_view(circuit_breaker::state s);

} // namespace rpcnet
