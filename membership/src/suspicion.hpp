// Lifeguard's Local Health Aware Suspicion: one suspected member's timer. It
// starts at the longest timeout and shrinks toward the shortest as k
// independent members confirm the suspicion (memberlist's formula:
// timeout = max - log(n + 1) / log(k + 1) * (max - min), never below min).
// A lone accuser, perhaps itself the slow one, gives the suspect the most
// time to refute; a crash seen by many is declared quickly.
#pragma once

#include <vector>

#include <rpcnet/membership/membership_time.hpp>
#include <rpcnet/membership/node_id.hpp>

namespace rpcnet {

class suspicion {
public:
  /// A suspicion raised by `from` at `start`, expecting `k` confirmations;
  /// with k = 0 it lasts `min` from the start.
  suspicion(node_id from, unsigned k, duration min, duration max, time_point start);

  /// Counts `from` as a confirmation unless it already counted or started
  /// the suspicion, or k confirmations are in. True if it counted.
  bool confirm(node_id from);

  /// When the suspect is declared dead unless it refutes first.
  time_point deadline() const noexcept {
    return deadline_;
  }

  unsigned confirmations() const noexcept {
    return static_cast<unsigned>(confirmed_by_.size()) - 1;
  }

  /// Moves the deadline to `deadline` once, for a last check with the
  /// suspect itself; false if that was done already.
  bool extend_once(time_point deadline) {
    if (extended_)
      return false;
    extended_ = true;
    deadline_ = deadline;
    return true;
  }

  /// The timeout after `n` of `k` confirmations.
  static duration timeout_after(unsigned n, unsigned k, duration min, duration max);

private:
  unsigned k_;
  duration min_;
  duration max_;
  time_point start_;
  time_point deadline_;
  /// The accuser first, then each confirming member.
  std::vector<node_id> confirmed_by_;
  bool extended_ = false;
};

} // namespace rpcnet
