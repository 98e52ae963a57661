// Building the alias table for weighted random choice.
#include "weighted_choice.hpp"

#include <algorithm>
#include <cmath>

namespace rpcnet {

void weighted_choice::assign(std::span<const uint32_t> candidates, const worker_pool& pool) {
  candidates_.assign(candidates.begin(), candidates.end());
  auto n = candidates.size();
  auto all_zero = std::all_of(candidates.begin(), candidates.end(),
                              [&](uint32_t s) { return pool.at(s).capacity == 0; });
  // Each column holds a mass of `total`; candidate i brings weight_i * n.
  // Integers, so the table is exact and the same on every machine.
  std::vector<uint64_t> mass(n);
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    uint64_t weight = all_zero ? 1 : pool.at(candidates[i]).capacity;
    mass[i] = weight * n;
    total += weight;
  }
  std::vector<size_t> small;
  std::vector<size_t> large;
  for (size_t i = 0; i < n; ++i)
    (mass[i] < total ? small : large).push_back(i);
  columns_.assign(n, column{uint64_t{1} << 32, 0, 0});
  auto threshold = [&](uint64_t m) {
    return static_cast<uint64_t>(std::ldexp(static_cast<double>(m) / static_cast<double>(total), 32));
  };
  while (!small.empty() && !large.empty()) {
    auto s = small.back();
    small.pop_back();
    auto l = large.back();
    // Column s: its own candidate for its mass, filled up by l.
    columns_[s] = column{threshold(mass[s]), candidates[s], candidates[l]};
    mass[l] -= total - mass[s];
    if (mass[l] < total) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // What remains holds exactly `total` (up to nothing): kept always.
  for (auto i : small)
    columns_[i] = column{uint64_t{1} << 32, candidates[i], candidates[i]};
  for (auto i : large)
    columns_[i] = column{uint64_t{1} << 32, candidates[i], candidates[i]};
}

std::vector<double> weighted_choice::probabilities() const {
  std::vector<double> result(candidates_.size(), 0.0);
  auto position = [&](uint32_t slot) {
    return static_cast<size_t>(std::find(candidates_.begin(), candidates_.end(), slot)
                               - candidates_.begin());
  };
  auto share = 1.0 / static_cast<double>(columns_.size());
  for (const auto& c : columns_) {
    auto keep = std::min(1.0, std::ldexp(static_cast<double>(c.keep_below), -32));
    result[position(c.own)] += share * keep;
    result[position(c.alias)] += share * (1.0 - keep);
  }
  return result;
}

} // namespace rpcnet
