// Synchronisation between a test and handlers that run on the server's
// actor threads: a gate a handler waits behind until the test opens it, and
// a counter of arrivals the test waits on. Every wait is bounded, so a test
// that fails early never leaves a handler (or the actor system) hanging.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace rpcnet::test {

/// Closed until open() is called; wait() returns early once it is open.
class gate {
public:
  void open() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      open_ = true;
    }
    cv_.notify_all();
  }

  /// True if the gate opened within `timeout`.
  bool wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> guard{mtx_};
    return cv_.wait_for(guard, timeout, [this] { return open_; });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool open_ = false;
};

/// Counts arrivals (e.g. "a handler started") for a test to wait on.
class arrivals {
public:
  void arrive() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      ++count_;
    }
    cv_.notify_all();
  }

  /// True if at least `n` arrivals happened within `timeout`.
  bool wait_for(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> guard{mtx_};
    return cv_.wait_for(guard, timeout, [&] { return count_ >= n; });
  }

  size_t count() {
    std::lock_guard<std::mutex> guard{mtx_};
    return count_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  size_t count_ = 0;
};

} // namespace rpcnet::test
