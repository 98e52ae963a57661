// Lifeguard's shrinking suspicion timer (see suspicion.hpp).
#include "suspicion.hpp"

#include <algorithm>
#include <cmath>

namespace rpcnet {

suspicion::suspicion(node_id from, unsigned k, duration min, duration max,
                     time_point start)
  : k_(k), min_(min), max_(std::max(min, max)), start_(start), confirmed_by_{from} {
  deadline_ = start_ + timeout_after(0, k_, min_, max_);
}

duration suspicion::timeout_after(unsigned n, unsigned k, duration min, duration max) {
  if (k == 0)
    return min;
  auto fraction = std::log(n + 1.0) / std::log(k + 1.0);
  auto raw = to_seconds(max) - fraction * (to_seconds(max) - to_seconds(min));
  // Whole milliseconds, as memberlist: the timer need not be finer.
  auto timeout = std::chrono::duration_cast<duration>(
    std::chrono::milliseconds{static_cast<long long>(std::floor(raw * 1000))});
  return std::max(timeout, min);
}

bool suspicion::confirm(node_id from) {
  if (confirmations() >= k_)
    return false;
  if (std::find(confirmed_by_.begin(), confirmed_by_.end(), from) != confirmed_by_.end())
    return false;
  confirmed_by_.push_back(from);
  deadline_ = start_ + timeout_after(confirmations(), k_, min_, max_);
  return true;
}

} // namespace rpcnet
