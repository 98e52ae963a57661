// One thread that acts when calls' deadlines pass. A server learns each
// unary call's deadline from its CALL frame and must give up on the call
// when it passes, whether or not the handler is done; handlers run on
// other threads, so the watcher keeps the deadlines in one ordered set
// under a lock and the call's own thread forgets its entry when it ends --
// nothing lingers for the rest of a timeout that was not needed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <rpcnet/transport/actor_boundary.hpp>

namespace rpcnet {

class deadline_watcher {
public:
  using clock = std::chrono::steady_clock;
  using ticket = uint64_t;

  /// What a callback throws is logged and counted at `boundary`; the
  /// deadlines after it still fire.
  explicit deadline_watcher(actor_boundary boundary = actor_boundary{"deadline_watcher"});

  /// Stops the thread; callbacks not yet due never run. Safe on the
  /// watcher's own thread too (a callback may drop the last reference to
  /// what owns the watcher): the thread then ends after that callback.
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

  struct core;

private:
  /// Shared with the thread, which may outlive this object by one callback.
  std::shared_ptr<core> core_;
};

} // namespace rpcnet
