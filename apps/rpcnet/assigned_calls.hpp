// The calls a director counts for this client. A director counts each worker
// it assigns (Director.get_worker) as one call in flight there until the
// client tells it the call ended (Director.release_calls); the client hears
// of ended calls per worker, in batches, from its cluster client. This says
// how many of them to tell the director in use: only calls that director
// counted, so a director that took over from a failed one is never told of
// the failed one's assignments, and at the end of a run whatever it still
// counts -- ends not yet reported, and assignments no call began on (the
// cluster client found the worker unreachable or its circuit open) -- is
// released at once.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace rpcnet::cli {

class assigned_calls {
public:
  /// The director assigned `worker` (a node id) once more.
  void assigned(const std::string& worker) {
    ++counted_[worker];
  }

  /// `calls` calls ended on `worker`: how many of them the director counted
  /// and is to be told of (no more than it counts).
  uint32_t ended(const std::string& worker, uint32_t calls) {
    auto i = counted_.find(worker);
    if (i == counted_.end())
      return 0;
    auto released = std::min(calls, i->second);
    i->second -= released;
    if (i->second == 0)
      counted_.erase(i);
    return released;
  }

  /// The calls the director counts on `worker` now.
  uint32_t counted(const std::string& worker) const {
    auto i = counted_.find(worker);
    return i == counted_.end() ? 0 : i->second;
  }

  /// The director is no longer used: what it counted is nobody's to release.
  void forget() {
    counted_.clear();
  }

  /// Everything the director still counts, per worker, now released.
  std::map<std::string, uint32_t> take_all() {
    return std::exchange(counted_, {});
  }

private:
  /// Calls per worker node id, only those above 0.
  std::map<std::string, uint32_t> counted_;
};

} // namespace rpcnet::cli
