// Workers that failed the client a moment ago, which it asks the director
// not to assign again until membership has had time to notice (a crashed
// worker stays in the director's pool until it is declared dead).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace rpcnet::cli {

class recent_failures {
public:
  using clock = std::chrono::steady_clock;

  explicit recent_failures(clock::duration memory) : memory_(memory) {
  }

  void add(const std::string& id, clock::time_point now) {
    forget_old(now);
    for (auto& entry : entries_)
      if (entry.id == id) {
        entry.at = now;
        return;
      }
    entries_.push_back({id, now});
  }

  /// The ids still remembered at `now`.
  std::vector<std::string> current(clock::time_point now) {
    forget_old(now);
    std::vector<std::string> ids;
    for (const auto& entry : entries_)
      ids.push_back(entry.id);
    return ids;
  }

private:
  struct entry {
    std::string id;
    clock::time_point at;
  };

  void forget_old(clock::time_point now) {
    std::erase_if(entries_, [&](const entry& e) { return now - e.at >= memory_; });
  }

  clock::duration memory_;
  std::vector<entry> entries_;
};

} // namespace rpcnet::cli
