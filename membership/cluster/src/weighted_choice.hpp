// Weighted: a candidate chosen at random with probability proportional to
// its capacity (the `capacity` tag), so a worker announcing capacity 4 gets
// four times the calls of one announcing 1. Random rather than a smooth
// weighted round robin because it needs no per-worker state that must be
// kept in step as workers come and go, and many clients choosing
// independently still add up to the right proportions. O(1) per choice by
// Walker's alias method (in Vose's construction): one random number picks a
// column and a coin flip inside it picks the column's own candidate or its
// alias. The table is built in O(n) once per change of the candidates.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "selection_rng.hpp"
#include "worker_pool.hpp"

namespace rpcnet {

class weighted_choice {
public:
  /// Takes `candidates` (not empty) and their capacities from `pool`. If
  /// every capacity is 0, each counts as 1.
  void assign(std::span<const uint32_t> candidates, const worker_pool& pool);

  /// A candidate at random in proportion to its capacity; assign() first.
  uint32_t select(selection_rng& rng) const noexcept {
    auto r = rng();
    // The high half picks the column, the low half is the coin.
    auto column = static_cast<uint32_t>(((r >> 32) * columns_.size()) >> 32);
    const auto& c = columns_[column];
    return (r & 0xffffffffULL) < c.keep_below ? c.own : c.alias;
  }

  /// The probability of choosing each of the candidates given to assign(),
  /// in their order: for tests.
  std::vector<double> probabilities() const;

private:
  struct column {
    /// The column keeps its own candidate when the coin (32 bits) is below
    /// this; 2^32 means always.
    uint64_t keep_below;
    uint32_t own;
    uint32_t alias;
  };

  std::vector<uint32_t> candidates_;
  std::vector<column> columns_;
};

} // namespace rpcnet
