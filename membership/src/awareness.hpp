// Lifeguard's Local Health Awareness: a score of how much this node doubts
// itself. Missed nacks and failed probes raise it, refuting a suspicion of
// ourselves raises it, successful probes lower it. Timeouts and the probe
// interval are stretched by (score + 1), so a node that is slow to process
// messages stops accusing healthy peers of its own slowness.
#pragma once

#include <algorithm>

#include <rpcnet/membership/membership_time.hpp>

namespace rpcnet {

class awareness {
public:
  /// Scores run from 0 to `max_multiplier` - 1; 1 disables the stretching.
  explicit awareness(unsigned max_multiplier)
    : max_(static_cast<int>(std::max(max_multiplier, 1u))) {
  }

  /// Adds `delta` to the score, kept within its bounds.
  void apply_delta(int delta) {
    score_ = std::clamp(score_ + delta, 0, max_ - 1);
  }

  /// 0 means healthy.
  int score() const noexcept {
    return score_;
  }

  /// `d` stretched by (score + 1).
  duration scale(duration d) const {
    return d * (score_ + 1);
  }

private:
  int max_;
  int score_ = 0;
};

} // namespace rpcnet
