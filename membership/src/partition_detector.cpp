// The partition rule of partition_detector.hpp.
#include "partition_detector.hpp"

#include <algorithm>

namespace rpcnet {

void partition_detector::prune(time_point now) {
  while (!recent_failures_.empty() && recent_failures_.front().first + cfg_.window < now)
    recent_failures_.pop_front();
}

std::optional<membership_event>
partition_detector::observe(const membership_event& ev, size_t alive_now,
                            time_point now) {
  using kind = membership_event::kind;
  prune(now);
  const auto& id = ev.subject.id;
  switch (ev.what) {
    case kind::failed: {
      // A member may fail, return and fail again within the window: count it once.
      std::erase_if(recent_failures_, [&](const auto& entry) { return entry.second == id; });
      recent_failures_.emplace_back(now, id);
      if (partitioned_) {
        // Still cut off (or cut off again): it has not come back.
        if (unreachable_.count(id) != 0)
          returned_.erase(id);
        return std::nullopt;
      }
      auto failed = recent_failures_.size();
      // Alive at the window's start: those alive now plus those that failed since.
      auto alive_before = alive_now + failed;
      if (failed < cfg_.min_members || failed * 2 < alive_before)
        return std::nullopt;
      partitioned_ = true;
      unreachable_.clear();
      returned_.clear();
      membership_event out;
      out.what = kind::partition_detected;
      for (const auto& entry : recent_failures_) {
        unreachable_.insert(entry.second);
        out.unreachable.push_back(entry.second);
      }
      return out;
    }
    case kind::left:
      // Gone by choice: neither cut off nor coming back.
      std::erase_if(recent_failures_, [&](const auto& entry) { return entry.second == id; });
      unreachable_.erase(id);
      returned_.erase(id);
      if (partitioned_ && unreachable_.empty())
        partitioned_ = false; // everyone cut off has left: nothing to heal
      break;
    case kind::joined:
    case kind::recovered:
      if (partitioned_ && unreachable_.count(id) != 0)
        returned_.insert(id);
      break;
    default:
      return std::nullopt;
  }
  if (!partitioned_ || unreachable_.empty() || returned_.size() * 2 < unreachable_.size())
    return std::nullopt;
  partitioned_ = false;
  membership_event out;
  out.what = kind::partition_healed;
  out.unreachable.assign(returned_.begin(), returned_.end());
  unreachable_.clear();
  returned_.clear();
  recent_failures_.clear();
  return out;
}

} // namespace rpcnet
