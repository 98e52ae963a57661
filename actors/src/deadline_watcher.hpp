// One thread that acts when calls' deadlines pass. A server learns each
// unary call's deadline from its CALL frame and must give up on the call
// when it passes, whether or not the handler is done; handlers run on
// other threads, so the watcher keeps the deadlines in one ordered set
// under a lock and the call's own thread forgets its entry when it ends --
// nothing lingers for the rest of a timeout that was not needed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace rpcnet {

class deadline_watcher {
public:
  using clock = std::chrono::steady_clock;
  using ticket = uint64_t;

  deadline_watcher() = default;

  /// Joins the thread; callbacks not yet due never run.
  ~deadline_watcher();

  deadline_watcher(const deadline_watcher&) = delete;
  deadline_watcher& operator=(const deadline_watcher&) = delete;

  /// Runs `on_due` on the watcher's thread at `due`, unless forgotten
  /// first. The thread starts with the first deadline.
  ticket watch(clock::time_point due, std::function<void()> on_due);

  /// Forgets `t`. A callback that is already running is not waited for.
  void forget(ticket t);

  /// Deadlines being watched.
  size_t size() const;

private:
  void run();

  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::set<std::pair<clock::time_point, ticket>> order_;
  std::map<ticket, std::pair<clock::time_point, std::function<void()>>> entries_;
  ticket next_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace rpcnet
