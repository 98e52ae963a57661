// Least connections, the default strategy: the candidate with the fewest
// in-flight calls and streams. Ties are broken in turn -- the scan starts
// just after the previous choice -- so equally loaded workers share the work
// evenly instead of the first one in the array taking it all. O(n) over a
// contiguous array of counts, stopping early at an idle worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>

namespace rpcnet {

class least_connections {
public:
  /// The least loaded of `candidates` (not empty); `in_flight` holds the
  /// counts indexed by the values in `candidates`.
  uint32_t select(std::span<const uint32_t> candidates, std::span<const uint32_t> in_flight) {
    return *select_if(candidates, in_flight, [](uint32_t) { return true; });
  }

  /// The least loaded of the candidates for which `eligible(candidate)`
  /// holds; nullopt if none does.
  template <class Predicate>
  std::optional<uint32_t> select_if(std::span<const uint32_t> candidates,
                                    std::span<const uint32_t> in_flight, Predicate eligible) {
    auto n = candidates.size();
    auto start = next_ < n ? next_ : 0;
    auto best = n;
    auto best_load = std::numeric_limits<uint32_t>::max();
    // Visits positions [first, last); true once an idle worker is found,
    // since nothing can beat it.
    auto scan = [&](size_t first, size_t last) {
      for (auto i = first; i < last; ++i) {
        auto candidate = candidates[i];
        auto load = in_flight[candidate];
        if (load < best_load && eligible(candidate)) {
          best_load = load;
          best = i;
          if (load == 0)
            return true;
        }
      }
      return false;
    };
    if (!scan(start, n))
      scan(0, start);
    if (best == n)
      return std::nullopt;
    next_ = best + 1;
    return candidates[best];
  }

private:
  /// Where the next scan starts: just after the previous choice.
  size_t next_ = 0;
};

} // namespace rpcnet
