// Which tasks the client has seen completed, and by whom: tasks are tried
// in order until a worker completes each, and a second completion of the
// same task is caught and counted rather than shown to the user.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace rpcnet::cli {

class task_ledger {
public:
  /// Tasks 1 to `total`; 0 for no end.
  explicit task_ledger(uint64_t total) : total_(total) {
  }

  /// The task to send next: the first one not completed.
  uint64_t current() const noexcept {
    return completed_ + 1;
  }

  bool done() const noexcept {
    return total_ != 0 && completed_ >= total_;
  }

  /// Records that `worker` completed `task`; false (and counted) unless it
  /// is the current task.
  bool complete(uint64_t task, const std::string& worker) {
    if (task != current() || done()) {
      ++rejected_;
      return false;
    }
    ++completed_;
    ++by_worker_[worker];
    return true;
  }

  uint64_t completed() const noexcept {
    return completed_;
  }

  /// Completions of a task that was not current: duplicates or strays.
  uint64_t rejected() const noexcept {
    return rejected_;
  }

  const std::map<std::string, uint64_t>& by_worker() const noexcept {
    return by_worker_;
  }

private:
  uint64_t total_;
  uint64_t completed_ = 0;
  uint64_t rejected_ = 0;
  std::map<std::string, uint64_t> by_worker_;
};

} // namespace rpcnet::cli
