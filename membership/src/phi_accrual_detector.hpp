// The Phi Accrual failure detector (Hayashibara et al.): instead of a yes/no
// verdict it says how surprising the current silence of a peer is, given the
// intervals between the heartbeats (acks) seen so far. phi = -log10(1 - F(t))
// where F is the normal CDF fitted to the inter-arrival times and t the time
// since the last heartbeat: phi 1 means a 10% chance the peer is merely late,
// phi 8 one in 10^8. A plain class without I/O; the caller passes the times.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include <rpcnet/membership/membership_time.hpp>

namespace rpcnet {

/// One peer's heartbeat statistics and its phi.
class phi_accrual_detector {
public:
  // -- member types -----------------------------------------------------------

  /// The settings of a detector (the Rust RpcNet's HealthCheckConfig part).
  struct settings {
    /// How many of the latest inter-arrival intervals the estimate uses.
    size_t history = 100;
    /// The standard deviation never counts as smaller than this, so that a
    /// peer with perfectly regular heartbeats is not judged dead the moment
    /// one arrives a millisecond late.
    duration min_std_deviation = std::chrono::milliseconds{50};
    /// Added to the mean: a pause this long beyond the usual interval is
    /// not yet surprising (GC pauses, a busy scheduler).
    duration acceptable_pause = duration::zero();
  };

  // -- constructors -----------------------------------------------------------

  phi_accrual_detector() : phi_accrual_detector(settings{}) {
  }

  explicit phi_accrual_detector(settings cfg);

  // -- input ------------------------------------------------------------------

  /// Records a heartbeat arriving at `at`. O(1): the interval since the
  /// previous heartbeat enters a ring buffer and the running sums.
  /// Heartbeats that go back in time are ignored.
  void heartbeat(time_point at);

  // -- phi --------------------------------------------------------------------

  /// How suspicious the silence since the last heartbeat is at `now`.
  /// 0 while fewer than one interval is known; finite and non-negative for
  /// every `now`, growing without bound as the silence grows.
  double phi(time_point now) const;

  /// How long after the last heartbeat phi reaches `value`, for callers that
  /// schedule a check instead of polling. Needs at least one interval.
  std::optional<duration> silence_for_phi(double value) const;

  // -- properties -------------------------------------------------------------

  /// The intervals the estimate uses, oldest first.
  std::vector<duration> heartbeat_history() const;

  /// Number of intervals the estimate uses (at most settings.history).
  size_t sample_count() const noexcept {
    return count_;
  }

  /// Mean of the intervals in seconds (0 without intervals).
  double mean_seconds() const noexcept;

  /// Standard deviation of the intervals in seconds, before the floor.
  double std_deviation_seconds() const noexcept;

  /// The time of the last heartbeat, if any arrived.
  std::optional<time_point> last_heartbeat() const noexcept {
    return last_;
  }

  const settings& config() const noexcept {
    return cfg_;
  }

private:
  // -- member variables -------------------------------------------------------

  settings cfg_;

  /// The latest intervals in seconds; grows to cfg_.history, then wraps.
  std::vector<double> intervals_;

  /// Where the next interval goes once the buffer is full.
  size_t next_ = 0;

  /// Intervals held (intervals_.size() until full).
  size_t count_ = 0;

  /// Running sums of the held intervals and of their squares.
  double sum_ = 0;
  double sum_of_squares_ = 0;

  /// Intervals replaced since the sums were last recomputed from the buffer;
  /// recomputing once per turn keeps rounding errors from accumulating.
  size_t replaced_since_resync_ = 0;

  std::optional<time_point> last_;
};

/// -log10(1 - F(y)) for the standard normal F, computed without overflow or
/// underflow: through erfc where that is representable and through the
/// asymptotic expansion of log(erfc) in the far tail.
double standard_normal_phi(double y);

} // namespace rpcnet
