// The Phi Accrual detector and the numerically stable normal tail behind it
// (see phi_accrual_detector.hpp).
#include "phi_accrual_detector.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace rpcnet {

namespace {

/// Below this argument erfc is computed directly; above it erfc(x) < 1e-273
/// nears the end of the double range, so the asymptotic series takes over.
/// At 25 the series' first omitted term is below 1e-11 of the result.
constexpr double erfc_direct_limit = 25.0;

/// The largest argument used: x * x stays finite.
constexpr double largest_argument = 1e150;

/// A deviation of zero (all intervals equal, no floor configured) would
/// divide by zero; a nanosecond is as good as zero here.
constexpr double smallest_std_deviation = 1e-9;

/// ln(erfc(x)) for large x: erfc(x) ~ exp(-x^2) / (x sqrt(pi)) *
/// (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6)).
double log_erfc_asymptotic(double x) {
  auto inv = 1.0 / (x * x);
  auto series = 1.0 - inv / 2 + 3 * inv * inv / 4 - 15 * inv * inv * inv / 8;
  return -x * x - std::log(x) - 0.5 * std::log(std::numbers::pi) + std::log(series);
}

} // namespace

double standard_normal_phi(double y) {
  if (std::isnan(y))
    return 0;
  // 1 - F(y) = 0.5 * erfc(y / sqrt 2): no cancellation in the tail, where
  // 1 - F would round to 0 long before erfc does.
  auto x = std::min(y / std::numbers::sqrt2, largest_argument);
  if (x < erfc_direct_limit)
    return std::max(0.0, -std::log10(0.5 * std::erfc(x)));
  return (std::numbers::ln2 - log_erfc_asymptotic(x)) / std::numbers::ln10;
}

phi_accrual_detector::phi_accrual_detector(settings cfg) : cfg_(cfg) {
  cfg_.history = std::max<size_t>(cfg_.history, 1);
}

void phi_accrual_detector::heartbeat(time_point at) {
  if (last_ && at < *last_)
    return;
  if (last_) {
    auto interval = to_seconds(at - *last_);
    if (intervals_.size() < cfg_.history) {
      intervals_.push_back(interval);
      ++count_;
      sum_ += interval;
      sum_of_squares_ += interval * interval;
    } else {
      auto old = intervals_[next_];
      intervals_[next_] = interval;
      next_ = (next_ + 1) % intervals_.size();
      sum_ += interval - old;
      sum_of_squares_ += interval * interval - old * old;
      if (++replaced_since_resync_ >= intervals_.size()) {
        replaced_since_resync_ = 0;
        sum_ = 0;
        sum_of_squares_ = 0;
        for (auto x : intervals_) {
          sum_ += x;
          sum_of_squares_ += x * x;
        }
      }
    }
  }
  last_ = at;
}

double phi_accrual_detector::mean_seconds() const noexcept {
  return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
}

double phi_accrual_detector::std_deviation_seconds() const noexcept {
  if (count_ == 0)
    return 0;
  auto mean = mean_seconds();
  auto variance = sum_of_squares_ / static_cast<double>(count_) - mean * mean;
  return std::sqrt(std::max(variance, 0.0));
}

namespace {

/// The mean and deviation phi is computed with: the pause allowance added,
/// the floor applied.
struct fitted_normal {
  double mean;
  double std_deviation;
};

fitted_normal fit(const phi_accrual_detector& det) {
  const auto& cfg = det.config();
  return {det.mean_seconds() + to_seconds(cfg.acceptable_pause),
          std::max({det.std_deviation_seconds(), to_seconds(cfg.min_std_deviation),
                    smallest_std_deviation})};
}

} // namespace

double phi_accrual_detector::phi(time_point now) const {
  if (count_ == 0 || !last_)
    return 0;
  auto normal = fit(*this);
  auto silence = to_seconds(now - *last_);
  return standard_normal_phi((silence - normal.mean) / normal.std_deviation);
}

std::optional<duration> phi_accrual_detector::silence_for_phi(double value) const {
  if (count_ == 0)
    return std::nullopt;
  // phi is increasing in y: bracket the y where it reaches `value`, then
  // bisect. `hi` always satisfies phi(hi) >= value, so the returned silence
  // is never too short.
  double lo = -40;
  double hi = 1;
  while (standard_normal_phi(hi) < value && hi < largest_argument)
    hi *= 2;
  if (standard_normal_phi(lo) >= value)
    hi = lo;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * std::max(1.0, std::abs(hi)); ++i) {
    auto mid = lo + (hi - lo) / 2;
    if (standard_normal_phi(mid) >= value)
      hi = mid;
    else
      lo = mid;
  }
  auto normal = fit(*this);
  auto seconds = std::max(0.0, normal.mean + hi * normal.std_deviation);
  // A microsecond of margin absorbs rounding when the caller turns the
  // silence back into phi.
  return std::chrono::ceil<duration>(std::chrono::duration<double>(seconds))
         + std::chrono::microseconds{1};
}

std::vector<duration> phi_accrual_detector::heartbeat_history() const {
  std::vector<duration> result;
  result.reserve(intervals_.size());
  auto full = intervals_.size() == cfg_.history;
  auto start = full ? next_ : 0;
  for (size_t i = 0; i < intervals_.size(); ++i)
    result.push_back(from_seconds(intervals_[(start + i) % intervals_.size()]));
  return result;
}

} // namespace rpcnet
