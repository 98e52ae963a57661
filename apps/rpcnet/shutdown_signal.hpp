// SIGINT and SIGTERM as a request to shut down, taken by a thread of its own
// with sigwait rather than in a signal handler: the signals are blocked in
// every thread (construct this before any other thread starts, so the actor
// system's threads inherit the mask), the waiting thread turns one into a
// flag and wakes whoever waits. SIGHUP, which asks a daemon to re-read its
// files, is taken by the same thread: it calls the reload handler, if one is
// set, and is otherwise ignored rather than ending the process.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace rpcnet::cli {

class shutdown_signal {
public:
  shutdown_signal();
  ~shutdown_signal();

  shutdown_signal(const shutdown_signal&) = delete;
  shutdown_signal& operator=(const shutdown_signal&) = delete;

  /// True once a signal arrived or request() was called.
  bool requested() const;

  /// Asks for shutdown as a signal would (e.g. when a client's work is done).
  void request();

  /// Waits up to `timeout`; true if shutdown was requested.
  bool wait_for(std::chrono::milliseconds timeout) const;

  /// Waits for shutdown.
  void wait() const;

  /// What SIGHUP does from now on (on the signal thread: keep it short);
  /// an empty function: nothing.
  void on_reload(std::function<void()> handler);

private:
  mutable std::mutex mtx_;
  mutable std::condition_variable cv_;
  bool requested_ = false;
  std::function<void()> reload_;
  std::thread waiter_;
};

} // namespace rpcnet::cli
