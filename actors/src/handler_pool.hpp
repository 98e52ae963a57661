// The threads that run blocking function handlers. CAF's scheduler has one
// worker per core: a handler that blocks there (a sleep, a database call)
// holds a worker, and as many such handlers as workers stall every actor of
// the process. Handlers therefore run here by default: the pool grows on
// demand up to a limit and idle threads retire.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include <rpcnet/transport/actor_boundary.hpp>

namespace rpcnet {

class handler_pool {
public:
  struct limits {
    /// Threads at most; further tasks queue until one is free.
    size_t max_threads = 256;
    /// A thread idle this long exits.
    std::chrono::milliseconds idle_timeout{10'000};
  };

  /// What a task throws is logged and counted at `boundary`, and its
  /// thread takes the next task.
  explicit handler_pool(limits lim, actor_boundary boundary = actor_boundary{"handler_pool"});

  /// Does not wait: threads finish the tasks already posted, then exit.
  ~handler_pool();

  handler_pool(const handler_pool&) = delete;
  handler_pool& operator=(const handler_pool&) = delete;

  /// Runs `task` on a pool thread, starting one if none is idle. False if
  /// the system refused a new thread and no thread is left to take the
  /// task: it is dropped, and the caller answers for it (the pool is called
  /// from connection actors, which an exception would end).
  bool post(std::function<void()> task);

  struct core;

private:
  std::shared_ptr<core> core_;
};

} // namespace rpcnet
