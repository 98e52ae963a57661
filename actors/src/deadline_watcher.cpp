#include "deadline_watcher.hpp"

namespace rpcnet {

deadline_watcher::~deadline_watcher() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

deadline_watcher::ticket deadline_watcher::watch(clock::time_point due,
                                                 std::function<void()> on_due) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto t = next_++;
  bool earliest = order_.empty() || due < order_.begin()->first;
  order_.emplace(due, t);
  entries_.emplace(t, std::make_pair(due, std::move(on_due)));
  if (!thread_.joinable())
    thread_ = std::thread{[this] { run(); }};
  else if (earliest)
    cv_.notify_one();
  return t;
}

void deadline_watcher::forget(ticket t) {
  std::function<void()> dropped;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto it = entries_.find(t);
    if (it == entries_.end())
      return;
    order_.erase({it->second.first, t});
    dropped = std::move(it->second.second);
    entries_.erase(it);
  }
  // What the callback captured goes outside the lock: it may own a call's
  // last references.
}

size_t deadline_watcher::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_.size();
}

void deadline_watcher::run() {
  std::unique_lock<std::mutex> lock{mtx_};
  while (!stopping_) {
    if (order_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto [due, t] = *order_.begin();
    if (clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    order_.erase(order_.begin());
    auto it = entries_.find(t);
    auto fn = std::move(it->second.second);
    entries_.erase(it);
    lock.unlock();
    fn();
    fn = nullptr;
    lock.lock();
  }
}

} // namespace rpcnet
