// Histogram buckets (metric_instruments.hpp); counters and gauges are inline.
#include <rpcnet/transport/metric_instruments.hpp>

#include <algorithm>
#include <cmath>

namespace rpcnet {

metric_histogram::metric_histogram(std::span<const double> bounds)
  : bounds_(bounds.begin(), bounds.end()),
    counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {
}

void metric_histogram::observe(double value) noexcept {
  if (std::isnan(value))
    return; // would poison the sum for good
  // Prometheus buckets are "less than or equal": a value on a bound is in it.
  auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[static_cast<size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

metric_histogram::reading metric_histogram::read() const {
  reading out;
  out.counts.reserve(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    out.counts.push_back(counts_[i].load(std::memory_order_relaxed));
    out.count += out.counts.back();
  }
  out.sum = sum_.load(std::memory_order_relaxed);
  return out;
}

} // namespace rpcnet
