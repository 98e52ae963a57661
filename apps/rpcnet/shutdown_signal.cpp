// The sigwait thread behind shutdown_signal. The destructor wakes it with a
// signal of the set sent to that thread only.
#include "shutdown_signal.hpp"

#include <pthread.h>
#include <signal.h>

namespace rpcnet::cli {

namespace {

sigset_t shutdown_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

} // namespace

shutdown_signal::shutdown_signal() {
  auto set = shutdown_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  waiter_ = std::thread{[this, set] {
    for (int sig = 0; sigwait(&set, &sig) == 0 && sig == SIGHUP;) {
      std::function<void()> reload;
      {
        std::lock_guard<std::mutex> guard{mtx_};
        reload = reload_;
      }
      if (reload)
        reload();
    }
    request();
  }};
}

shutdown_signal::~shutdown_signal() {
  // The waiter may still be in sigwait (shutdown came from request()); a
  // thread that already returned ignores this.
  pthread_kill(waiter_.native_handle(), SIGTERM);
  waiter_.join();
}

void shutdown_signal::on_reload(std::function<void()> handler) {
  std::lock_guard<std::mutex> guard{mtx_};
  reload_ = std::move(handler);
}

bool shutdown_signal::requested() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return requested_;
}

void shutdown_signal::request() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    requested_ = true;
  }
  cv_.notify_all();
}

bool shutdown_signal::wait_for(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock{mtx_};
  return cv_.wait_for(lock, timeout, [this] { return requested_; });
}

void shutdown_signal::wait() const {
  std::unique_lock<std::mutex> lock{mtx_};
  cv_.wait(lock, [this] { return requested_; });
}

} // namespace rpcnet::cli
